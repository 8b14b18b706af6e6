/**
 * The input check both VectorStore implementations apply to every vector they are given (upsert and search).
 * Pure; throws an Error whose message names the problem.
 */

/**
 * Rejects a vector of the wrong dimension, one with a NaN or infinite component, and the zero vector (it has no
 * direction, so its cosine with anything is undefined). A NaN stored in an index would make every comparison in
 * its namespace fail: in the exact scan it displaces the true best hit from the top-k and is then filtered out,
 * so the namespace answers nothing; in an HNSW graph it breaks the graph's distances.
 */
export function checkVector(v: Float32Array, dimension: number): void {
  if (v.length !== dimension) throw new Error(`vector has ${v.length} dimensions, the store ${dimension}`);
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (!Number.isFinite(sum)) throw new Error('vector has a NaN or infinite component');
  if (sum === 0) throw new Error('vector is all zeros (no direction to compare)');
}
