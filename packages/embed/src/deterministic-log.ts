// Math.log is not required to be correctly rounded, so engines may differ in the
// last bit; this natural log uses only + − × ÷ (exactly rounded by IEEE 754).

const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;

/** ln(x) for finite x > 0, identical in every engine; accurate to ~1 ulp. */
export function deterministicLog(x: number): number {
  let e = 0;
  while (x >= SQRT2) {
    x *= 0.5;
    e++;
  }
  while (x < SQRT2 / 2) {
    x *= 2;
    e--;
  }
  // ln(x) = 2·atanh(z), z = (x−1)/(x+1) ∈ [−0.172, 0.172]: 12 odd terms reach 1e-19.
  const z = (x - 1) / (x + 1);
  const z2 = z * z;
  let term = z;
  let sum = 0;
  for (let k = 1; k <= 25; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return e * LN2 + 2 * sum;
}
