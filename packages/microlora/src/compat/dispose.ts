/**
 * The key of `[Symbol.dispose]()` (so `using x = new …` works, as with
 * wasm-bindgen's classes) where the engine has Symbol.dispose; a private symbol
 * elsewhere. Looked up at run time: the build targets ES2022, which lacks it.
 */
export const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol('Symbol.dispose');
