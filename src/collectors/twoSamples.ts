export interface TwoSamples<T> {
  before: T;
  after: T;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A one-shot command's rates: read, wait `intervalSeconds`, read again. The only wait in the
 * readings; a long-running caller keeps its last sample instead.
 */
export async function sampleTwice<T>(
  read: () => Promise<T>,
  intervalSeconds: number,
): Promise<TwoSamples<T>> {
  const before = await read();
  await sleep(intervalSeconds * 1000);
  return { before, after: await read() };
}
