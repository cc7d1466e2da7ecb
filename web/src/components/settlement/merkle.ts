/**
 * Verifies a trade's settlement proof in the browser: RFC 6962 hashing (leaf = SHA-256(0x00 ‖ data),
 * node = SHA-256(0x01 ‖ left ‖ right)) and the RFC 9162 §2.1.3.2 inclusion check, with Web Crypto.
 * The same algorithm as engine/settlement/merkle.py; docs/settlement.md gives it line by line.
 */

export interface ProofInput {
  leafIndex: number;
  treeSize: number;
  path: string[];
  merkleRoot: string;
  leafData: string;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error('not hex');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

export const leafHash = (data: Uint8Array) => sha256(new Uint8Array([0]), data);
export const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(new Uint8Array([1]), left, right);

/** The root the proof leads to, or null when its shape does not fit the tree. */
export async function rootFromInclusion(proof: ProofInput): Promise<string | null> {
  const { leafIndex, treeSize } = proof;
  if (!(leafIndex >= 0 && leafIndex < treeSize)) return null;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = await leafHash(hexToBytes(proof.leafData));
  for (const hex of proof.path) {
    const p = hexToBytes(hex);
    if (p.length !== 32 || sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? bytesToHex(r) : null;
}

export async function verifyInclusion(proof: ProofInput): Promise<boolean> {
  return (await rootFromInclusion(proof)) === proof.merkleRoot.toLowerCase();
}
