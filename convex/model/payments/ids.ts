/** Public payment ids: `pay_` and 20 characters of [0-9a-z], random. */
const PAYMENT_ID_PREFIX = "pay_";
const PAYMENT_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Whether a string has the shape of a payment id (cheap check before any lookup). */
export function isPaymentIdShape(id: string): boolean {
  return /^pay_[0-9a-z]{20}$/.test(id);
}

/** A new random payment id (about 103 bits). */
export function randomPaymentId(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  let id = PAYMENT_ID_PREFIX;
  for (const byte of bytes) id += PAYMENT_ID_ALPHABET[byte % PAYMENT_ID_ALPHABET.length];
  return id;
}
