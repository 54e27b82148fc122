import CCrypto

/// How much work decrypting a key file asks for, bounded before the work starts. An encrypted key
/// names its own key-derivation parameters (PBKDF2 iterations; scrypt's N, r and p), and libcrypto
/// bounds only scrypt's memory: a file asking for 2^31 iterations would hang the run for hours.
public enum KeyDerivationCost {
    /// PBKDF2 (PBES2) and PKCS#12 PBE iterations: 1,000 times OpenSSL's default of 2,048, about
    /// a second of work.
    public static let maxIterations: UInt64 = 2_048_000
    /// scrypt's N·r·p: 16 times cosign's default (N = 2^15, r = 8, p = 1).
    public static let maxScryptWork: UInt64 = 1 << 22

    /// Why an `ENCRYPTED PRIVATE KEY` PEM block (EncryptedPrivateKeyInfo) asks for too much work, or
    /// nil when it does not (or cannot be read: libcrypto then says why when it decrypts it).
    static func excess(encryptedPEM pem: [UInt8]) -> String? {
        let info: OpaquePointer? = pem.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PKCS8(bio, nil, nil, nil)
        }
        defer {
            X509_SIG_free(info)
            ERR_clear_error()
        }
        guard let info else { return nil }
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_SIG_get0(info, &algorithm, nil)
        guard let (nid, parameters) = Self.parts(algorithm) else { return nil }
        if nid == NID_pbes2 {
            guard let pbes2 = Self.decode(parameters, d2i_PBE2PARAM) else { return nil }
            defer { PBE2PARAM_free(pbes2) }
            guard let (kdf, kdfParameters) = Self.parts(UnsafePointer(pbes2.pointee.keyfunc)) else { return nil }
            if kdf == NID_id_pbkdf2 {
                guard let pbkdf2 = Self.decode(kdfParameters, d2i_PBKDF2PARAM) else { return nil }
                defer { PBKDF2PARAM_free(pbkdf2) }
                return iterationExcess(Self.value(pbkdf2.pointee.iter))
            }
            if kdf == NID_id_scrypt {
                guard let scrypt = Self.decode(kdfParameters, d2i_SCRYPT_PARAMS) else { return nil }
                defer { SCRYPT_PARAMS_free(scrypt) }
                let n = Self.value(scrypt.pointee.costParameter)
                let r = Self.value(scrypt.pointee.blockSize)
                let p = Self.value(scrypt.pointee.parallelizationParameter)
                return scryptExcess(n: n, r: r, p: p)
            }
            return nil
        }
        // PKCS#5 v1.5 and PKCS#12 schemes: PBEPARAM (salt, iterations).
        guard let pbe = Self.decode(parameters, d2i_PBEPARAM) else { return nil }
        defer { PBEPARAM_free(pbe) }
        return iterationExcess(Self.value(pbe.pointee.iter))
    }

    static func iterationExcess(_ iterations: UInt64) -> String? {
        iterations > maxIterations ? "its encryption asks for \(iterations) iterations; at most \(maxIterations) are accepted" : nil
    }

    /// nil when the work fits; the multiplication cannot overflow once each factor is checked.
    public static func scryptExcess(n: UInt64, r: UInt64, p: UInt64) -> String? {
        guard n <= maxScryptWork, r <= maxScryptWork, p <= maxScryptWork, n * r <= maxScryptWork, n * r * p <= maxScryptWork
        else {
            return "its scrypt parameters (N=\(n), r=\(r), p=\(p)) ask for more than \(maxScryptWork) units of work (N·r·p)"
        }
        return nil
    }

    /// The algorithm's NID and its parameters when they are a SEQUENCE (as every PBE's are).
    private static func parts(_ algorithm: UnsafePointer<X509_ALGOR>?) -> (Int32, [UInt8])? {
        guard let algorithm else { return nil }
        var object: OpaquePointer?
        var type: Int32 = 0
        var value: UnsafeRawPointer?
        X509_ALGOR_get0(&object, &type, &value, algorithm)
        guard let object, type == V_ASN1_SEQUENCE, let value else { return nil }
        let sequence = value.assumingMemoryBound(to: ASN1_STRING.self)
        guard let data = ASN1_STRING_get0_data(sequence) else { return nil }
        let length = Int(ASN1_STRING_length(sequence))
        return (OBJ_obj2nid(object), Array(UnsafeBufferPointer(start: data, count: length)))
    }

    /// libcrypto's `d2i_TYPE(nil, &cursor, length)`.
    private typealias DERDecoder<T> = (
        UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, Int
    ) -> UnsafeMutablePointer<T>?

    private static func decode<T>(_ der: [UInt8], _ d2i: DERDecoder<T>) -> UnsafeMutablePointer<T>? {
        der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i(nil, &cursor, buffer.count)
        }
    }

    /// An ASN.1 INTEGER's value; a negative or huge one reads as the largest value (too much work).
    private static func value(_ integer: UnsafeMutablePointer<ASN1_INTEGER>?) -> UInt64 {
        guard let integer else { return 0 }
        var result: UInt64 = 0
        return ASN1_INTEGER_get_uint64(&result, integer) == 1 ? result : UInt64.max
    }
}
