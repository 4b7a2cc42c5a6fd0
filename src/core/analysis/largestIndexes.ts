/**
 * Beyond this many rows the insertion into `best` is quadratic: a class's every (service, source)
 * pair, ranked whole, took ~20 ms of a million-entry analysis that way.
 */
const INSERTION_LIMIT = 64;

/** The same ranking by a stable sort (ties stay in index order), for callers who want many rows. */
function sortedIndexes(values: ArrayLike<number>, length: number, limit: number): number[] {
  const positive: number[] = [];
  for (let index = 0; index < length; index++) if (values[index]! > 0) positive.push(index);
  positive.sort((a, b) => values[b]! - values[a]!);
  return positive.length > limit ? positive.slice(0, limit) : positive;
}

/**
 * The indexes of the `limit` largest positive values among the first `length`, largest first, ties
 * in index order: what a stable sort by value would put first. One pass that keeps the best
 * `limit`, since callers ask for ~10 rows of 65k-slot arrays, in code that runs once per process
 * (a quickselect then a sort of every tie cost several times more before the JIT warmed up).
 */
export function largestIndexes(values: ArrayLike<number>, length: number, limit: number): number[] {
  if (limit > INSERTION_LIMIT) return sortedIndexes(values, length, limit);
  const best: number[] = [];
  if (limit <= 0) return best;
  let floor = 0; // the value to beat once `best` is full
  for (let index = 0; index < length; index++) {
    const value = values[index]!;
    if (value <= floor) continue;
    let at = best.length;
    while (at > 0 && values[best[at - 1]!]! < value) at--;
    best.splice(at, 0, index);
    if (best.length > limit) best.pop();
    if (best.length === limit) floor = values[best[limit - 1]!]!;
  }
  return best;
}
