// Small, runtime-neutral crypto helpers: Web Crypto for HMAC, @noble/hashes for MD5
// (Click's signature; MD5 is not in Web Crypto).
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

const encoder = new TextEncoder();

export type HmacHash = 'SHA-256' | 'SHA-512';

async function hmac(hash: HmacHash, key: string | Uint8Array, message: string): Promise<Uint8Array> {
  const keyBytes = typeof key === 'string' ? encoder.encode(key) : key;
  const cryptoKey = await crypto.subtle.importKey('raw', keyBytes as BufferSource, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message)));
}

/** Lowercase hex HMAC of the UTF-8 message. */
export async function hmacHex(hash: HmacHash, key: string | Uint8Array, message: string): Promise<string> {
  return bytesToHex(await hmac(hash, key, message));
}

/** Standard base64 HMAC of the UTF-8 message. */
export async function hmacBase64(hash: HmacHash, key: string | Uint8Array, message: string): Promise<string> {
  return bytesToBase64(await hmac(hash, key, message));
}

/** Lowercase hex MD5 of the UTF-8 text. */
export function md5Hex(text: string): string {
  return bytesToHex(md5(utf8ToBytes(text)));
}

/**
 * Compares two strings in time that depends only on their lengths, so a forger
 * learns nothing from how long a wrong signature took to reject.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.max(left.length, right.length);
  let difference = left.length ^ right.length;
  for (let i = 0; i < length; i++) difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes standard base64; throws on anything else. */
export function base64ToBytes(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function utf8ToBase64(text: string): string {
  return bytesToBase64(encoder.encode(text));
}

export function base64ToUtf8(text: string): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(base64ToBytes(text));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
