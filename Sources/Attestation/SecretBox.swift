/// NaCl's `crypto_secretbox` (XSalsa20 stream cipher + Poly1305 authenticator), as cosign uses it to
/// encrypt its private keys (Go's golang.org/x/crypto/nacl/secretbox). Only opening is needed: we read
/// cosign keys, we never write them. Written from the Salsa20 and Poly1305 specifications (Bernstein),
/// and checked against PyNaCl (libsodium) and go-securesystemslib's published vectors in the tests.
///
/// The box is `tag (16 bytes) ‖ ciphertext`. The first 32 bytes of the keystream are the one-time
/// Poly1305 key; the message is XORed with the keystream from byte 32 on.
public enum SecretBox {
    public static let keyBytes = 32
    public static let nonceBytes = 24
    public static let tagBytes = 16

    /// The plaintext, or nil when the key, nonce or box is wrong (the tag does not match).
    public static func open(_ box: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard key.count == keyBytes, nonce.count == nonceBytes, box.count >= tagBytes else { return nil }
        // XSalsa20: a subkey from HSalsa20(key, nonce[0..<16]), then Salsa20 with nonce[16..<24].
        let subkey = Salsa20.hsalsa20(key: key, input: Array(nonce[0..<16]))
        let streamNonce = Array(nonce[16..<24])
        let ciphertext = Array(box[tagBytes...])
        let stream = Salsa20.keystream(key: subkey, nonce: streamNonce, count: 32 + ciphertext.count)
        let expected = Poly1305.authenticate(ciphertext, key: Array(stream[0..<32]))
        // Compare in constant time: no early exit on the first differing byte.
        var difference: UInt8 = 0
        for index in 0..<tagBytes { difference |= expected[index] ^ box[index] }
        guard difference == 0 else { return nil }
        var plaintext = ciphertext
        for index in plaintext.indices { plaintext[index] ^= stream[32 + index] }
        return plaintext
    }
}

/// The Salsa20/20 core, its keystream and HSalsa20.
enum Salsa20 {
    private static let sigma: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]  // "expand 32-byte k"

    /// The state: constants on the diagonal, key in words 1–4 and 11–14, the 16 input bytes in 6–9.
    private static func initialState(key: [UInt8], input: [UInt8]) -> [UInt32] {
        var state = [UInt32](repeating: 0, count: 16)
        state[0] = sigma[0]
        state[5] = sigma[1]
        state[10] = sigma[2]
        state[15] = sigma[3]
        for i in 0..<4 {
            state[1 + i] = littleEndian32(key, 4 * i)
            state[11 + i] = littleEndian32(key, 16 + 4 * i)
            state[6 + i] = littleEndian32(input, 4 * i)
        }
        return state
    }

    /// Twenty rounds (ten column/row double rounds), without the final feed-forward addition.
    private static func rounds(_ x: inout [UInt32]) {
        func quarter(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
            x[b] ^= (x[a] &+ x[d]).rotatedLeft(7)
            x[c] ^= (x[b] &+ x[a]).rotatedLeft(9)
            x[d] ^= (x[c] &+ x[b]).rotatedLeft(13)
            x[a] ^= (x[d] &+ x[c]).rotatedLeft(18)
        }
        for _ in 0..<10 {
            quarter(0, 4, 8, 12)
            quarter(5, 9, 13, 1)
            quarter(10, 14, 2, 6)
            quarter(15, 3, 7, 11)
            quarter(0, 1, 2, 3)
            quarter(5, 6, 7, 4)
            quarter(10, 11, 8, 9)
            quarter(15, 12, 13, 14)
        }
    }

    static func hsalsa20(key: [UInt8], input: [UInt8]) -> [UInt8] {
        var x = initialState(key: key, input: input)
        rounds(&x)
        var out = [UInt8]()
        out.reserveCapacity(32)
        for index in [0, 5, 10, 15, 6, 7, 8, 9] { appendLittleEndian32(x[index], to: &out) }
        return out
    }

    /// `count` bytes of Salsa20 keystream for an 8-byte nonce, block counter from 0.
    static func keystream(key: [UInt8], nonce: [UInt8], count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 64)
        var counter: UInt64 = 0
        while out.count < count {
            var input = nonce
            for shift in stride(from: 0, to: 64, by: 8) { input.append(UInt8(truncatingIfNeeded: counter >> UInt64(shift))) }
            let start = initialState(key: key, input: input)
            var x = start
            rounds(&x)
            for index in 0..<16 { appendLittleEndian32(x[index] &+ start[index], to: &out) }
            counter += 1
        }
        return Array(out.prefix(count))
    }
}

/// Poly1305 one-time authenticator, in radix 2^26 (five limbs), so every product fits in 64 bits.
enum Poly1305 {
    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(key.count == 32)
        let mask: UInt64 = 0x3ff_ffff
        // r, clamped as the specification requires.
        let r0 = UInt64(littleEndian32(key, 0)) & 0x3ff_ffff
        let r1 = UInt64(littleEndian32(key, 3) >> 2) & 0x3ff_ff03
        let r2 = UInt64(littleEndian32(key, 6) >> 4) & 0x3ff_c0ff
        let r3 = UInt64(littleEndian32(key, 9) >> 6) & 0x3f0_3fff
        let r4 = UInt64(littleEndian32(key, 12) >> 8) & 0x00f_ffff
        let s1 = r1 * 5
        let s2 = r2 * 5
        let s3 = r3 * 5
        let s4 = r4 * 5
        var h0: UInt64 = 0
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        var h3: UInt64 = 0
        var h4: UInt64 = 0

        var offset = 0
        while offset < message.count {
            // Each 16-byte block gets a 1 appended (bit 128); a short last block is padded with 1, 0…
            var block = [UInt8](repeating: 0, count: 17)
            let length = min(16, message.count - offset)
            for index in 0..<length { block[index] = message[offset + index] }
            block[length] = 1
            let high = UInt64(block[16]) << 24
            h0 += UInt64(littleEndian32(block, 0)) & mask
            h1 += UInt64(littleEndian32(block, 3) >> 2) & mask
            h2 += UInt64(littleEndian32(block, 6) >> 4) & mask
            h3 += UInt64(littleEndian32(block, 9) >> 6) & mask
            h4 += UInt64(littleEndian32(block, 12) >> 8) | high

            let d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1
            var d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2
            var d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3
            var d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4
            var d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
            var carry = d0 >> 26
            h0 = d0 & mask
            d1 += carry
            carry = d1 >> 26
            h1 = d1 & mask
            d2 += carry
            carry = d2 >> 26
            h2 = d2 & mask
            d3 += carry
            carry = d3 >> 26
            h3 = d3 & mask
            d4 += carry
            carry = d4 >> 26
            h4 = d4 & mask
            h0 += carry * 5
            carry = h0 >> 26
            h0 &= mask
            h1 += carry
            offset += 16
        }

        // Fully carry h, then compute h - p and keep it if it did not borrow (h mod p, in constant time).
        var carry = h1 >> 26
        h1 &= mask
        h2 += carry
        carry = h2 >> 26
        h2 &= mask
        h3 += carry
        carry = h3 >> 26
        h3 &= mask
        h4 += carry
        carry = h4 >> 26
        h4 &= mask
        h0 += carry * 5
        carry = h0 >> 26
        h0 &= mask
        h1 += carry

        var g0 = h0 + 5
        carry = g0 >> 26
        g0 &= mask
        var g1 = h1 + carry
        carry = g1 >> 26
        g1 &= mask
        var g2 = h2 + carry
        carry = g2 >> 26
        g2 &= mask
        var g3 = h3 + carry
        carry = g3 >> 26
        g3 &= mask
        let g4 = (h4 &+ carry) &- (1 << 26)
        // g4's top bit is set when h - p borrowed, i.e. h < p: then keep h.
        let useG: UInt64 = (g4 >> 63) &- 1
        h0 = (h0 & ~useG) | (g0 & useG)
        h1 = (h1 & ~useG) | (g1 & useG)
        h2 = (h2 & ~useG) | (g2 & useG)
        h3 = (h3 & ~useG) | (g3 & useG)
        h4 = (h4 & ~useG) | (g4 & useG & mask)

        // h mod 2^128, as four 32-bit words, plus s (the second half of the key).
        let w0 = (h0 | (h1 << 26)) & 0xffff_ffff
        let w1 = ((h1 >> 6) | (h2 << 20)) & 0xffff_ffff
        let w2 = ((h2 >> 12) | (h3 << 14)) & 0xffff_ffff
        let w3 = ((h3 >> 18) | (h4 << 8)) & 0xffff_ffff
        var tag = [UInt8]()
        var sum: UInt64 = 0
        for (index, word) in [w0, w1, w2, w3].enumerated() {
            sum = word + UInt64(littleEndian32(key, 16 + 4 * index)) + (sum >> 32)
            appendLittleEndian32(UInt32(truncatingIfNeeded: sum), to: &tag)
        }
        return tag
    }
}

private func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}

private func appendLittleEndian32(_ word: UInt32, to out: inout [UInt8]) {
    for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
}

extension UInt32 {
    fileprivate func rotatedLeft(_ count: UInt32) -> UInt32 { (self << count) | (self >> (32 - count)) }
}
