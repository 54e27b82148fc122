import CCrypto

/// Why certificates could not be made: libcrypto failed a step. The description names the step and
/// libcrypto's reason, never key material.
public struct CertificateError: Error, CustomStringConvertible, Equatable, Sendable {
    public let step: String
    public let reason: String

    public var description: String { "cannot make the TLS certificates: \(step) failed (\(reason))" }
}

/// A private CA made for one use (the admission webhook's serving certificate) and the serving
/// certificate it signed, both ECDSA P-256 with SHA-256, as PEM. The CA's private key is dropped once
/// the serving certificate is signed: nothing else is ever signed with it, so it is never written.
public struct WebhookCertificates: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The CA certificate (self-signed; basicConstraints CA:TRUE, keyUsage keyCertSign and cRLSign).
    public let caCertificatePEM: String
    /// The serving certificate: the DNS names as subjectAltName, extendedKeyUsage serverAuth.
    public let servingCertificatePEM: String
    /// The serving certificate's private key (PKCS#8). A secret: kept out of descriptions.
    public let servingKeyPEM: String

    public var description: String { "WebhookCertificates(CA and serving certificate; private key redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Makes a CA named `caName` and a certificate for `dnsNames` (the first is also its common name)
    /// signed by it, each valid from five minutes ago (clock skew between nodes) for `validityDays`.
    public static func make(caName: String, dnsNames: [String], validityDays: Int) throws(CertificateError) -> WebhookCertificates {
        guard let serverName = dnsNames.first else { throw CertificateError(step: "naming the serving certificate", reason: "no DNS name") }
        guard validityDays > 0, validityDays <= 36_500 else {
            throw CertificateError(step: "setting the validity", reason: "\(validityDays) days is not between 1 and 36500")
        }
        // Each DNS name becomes one `DNS:` entry of a comma-separated openssl.cnf value.
        for name in dnsNames where name.isEmpty || name.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 < 0x21 || $0 > 0x7E }) {
            throw CertificateError(step: "naming the serving certificate", reason: "\(name.debugDescription) is not a DNS name")
        }
        guard !caName.isEmpty, caName.utf8.count <= 64, caName.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw CertificateError(step: "naming the CA", reason: "\(caName.debugDescription) is not 1 to 64 printable ASCII characters")
        }
        let caKey = try generateP256Key()
        defer { EVP_PKEY_free(caKey) }
        let ca = try makeCertificate(
            subject: caName, key: caKey, issuer: nil, issuerKey: caKey, validityDays: validityDays,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ])
        defer { X509_free(ca) }
        let servingKey = try generateP256Key()
        defer { EVP_PKEY_free(servingKey) }
        let serving = try makeCertificate(
            subject: serverName, key: servingKey, issuer: ca, issuerKey: caKey, validityDays: validityDays,
            extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "serverAuth"),
                (NID_subject_alt_name, dnsNames.map { "DNS:" + $0 }.joined(separator: ",")),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ])
        defer { X509_free(serving) }
        return WebhookCertificates(
            caCertificatePEM: try pem("encoding the CA certificate") { PEM_write_bio_X509($0, ca) },
            servingCertificatePEM: try pem("encoding the serving certificate") { PEM_write_bio_X509($0, serving) },
            servingKeyPEM: try pem("encoding the serving key") { PEM_write_bio_PrivateKey($0, servingKey, nil, nil, 0, nil, nil) })
    }

    private init(caCertificatePEM: String, servingCertificatePEM: String, servingKeyPEM: String) {
        self.caCertificatePEM = caCertificatePEM
        self.servingCertificatePEM = servingCertificatePEM
        self.servingKeyPEM = servingKeyPEM
    }
}

/// libcrypto's reason for the last failure (the queue is then cleared), or `fallback`.
private func libcryptoReason(_ fallback: String = "libcrypto gave no reason") -> String {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return fallback }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func check(_ ok: Bool, _ step: String) throws(CertificateError) {
    guard ok else { throw CertificateError(step: step, reason: libcryptoReason()) }
}

/// A fresh P-256 key (named curve). The caller frees it.
private func generateP256Key() throws(CertificateError) -> OpaquePointer {
    guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else {
        throw CertificateError(step: "generating a P-256 key", reason: libcryptoReason())
    }
    defer { EVP_PKEY_CTX_free(context) }
    try check(EVP_PKEY_keygen_init(context) == 1, "generating a P-256 key")
    try check(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1, "choosing the P-256 curve")
    var key: OpaquePointer?
    try check(EVP_PKEY_keygen(context, &key) == 1 && key != nil, "generating a P-256 key")
    return key!
}

/// An X.509 v3 certificate for `key`, named `subject` (CN), signed with SHA-256 by `issuerKey`;
/// self-signed when `issuer` is nil. Each extension is (NID, value in openssl.cnf syntax). The caller
/// frees it.
private func makeCertificate(
    subject: String, key: OpaquePointer, issuer: OpaquePointer?, issuerKey: OpaquePointer, validityDays: Int,
    extensions: [(Int32, String)]
) throws(CertificateError) -> OpaquePointer {
    guard let certificate = X509_new() else { throw CertificateError(step: "allocating a certificate", reason: libcryptoReason()) }
    do throws(CertificateError) {
        try check(X509_set_version(certificate, 2) == 1, "setting the certificate version")
        try setRandomSerial(certificate)
        try check(X509_gmtime_adj(X509_getm_notBefore(certificate), -300) != nil, "setting notBefore")
        try check(X509_time_adj_ex(X509_getm_notAfter(certificate), Int32(validityDays), 0, nil) != nil, "setting notAfter")
        try check(X509_set_pubkey(certificate, key) == 1, "setting the public key")
        guard let name = X509_NAME_new() else { throw CertificateError(step: "allocating a name", reason: libcryptoReason()) }
        defer { X509_NAME_free(name) }
        try check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, subject, -1, -1, 0) == 1, "setting the common name")
        try check(X509_set_subject_name(certificate, name) == 1, "setting the subject")
        let issuerName = issuer.map { X509_get_subject_name($0) } ?? name
        try check(X509_set_issuer_name(certificate, issuerName) == 1, "setting the issuer")
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer ?? certificate, certificate, nil, nil, 0)
        for (nid, value) in extensions {
            guard let extensionValue = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw CertificateError(step: "making the \(extensionNames[nid] ?? "X.509") extension", reason: libcryptoReason())
            }
            defer { X509_EXTENSION_free(extensionValue) }
            try check(X509_add_ext(certificate, extensionValue, -1) == 1, "adding an extension")
        }
        try check(X509_sign(certificate, issuerKey, EVP_sha256()) > 0, "signing the certificate")
        return certificate
    } catch {
        X509_free(certificate)
        throw error
    }
}

private let extensionNames: [Int32: String] = [
    NID_basic_constraints: "basicConstraints", NID_key_usage: "keyUsage", NID_ext_key_usage: "extendedKeyUsage",
    NID_subject_alt_name: "subjectAltName", NID_subject_key_identifier: "subjectKeyIdentifier",
    NID_authority_key_identifier: "authorityKeyIdentifier",
]

/// A positive random 127-bit serial number (RFC 5280: at most 20 octets; CAs use at least 64 random bits).
private func setRandomSerial(_ certificate: OpaquePointer) throws(CertificateError) {
    guard let number = BN_new() else { throw CertificateError(step: "allocating the serial number", reason: libcryptoReason()) }
    defer { BN_free(number) }
    try check(BN_rand(number, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1, "drawing the serial number")
    guard let serial = BN_to_ASN1_INTEGER(number, nil) else {
        throw CertificateError(step: "encoding the serial number", reason: libcryptoReason())
    }
    defer { ASN1_INTEGER_free(serial) }
    try check(X509_set_serialNumber(certificate, serial) == 1, "setting the serial number")
}

/// What `write` puts into a memory BIO, as text.
private func pem(_ step: String, _ write: (OpaquePointer) -> Int32) throws(CertificateError) -> String {
    guard let bio = BIO_new(BIO_s_mem()) else { throw CertificateError(step: step, reason: libcryptoReason()) }
    defer { BIO_free(bio) }
    try check(write(bio) == 1, step)
    let pending = Int(BIO_ctrl_pending(bio))
    var bytes = [UInt8](repeating: 0, count: pending)
    let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
    try check(pending > 0 && Int(read) == pending, step)
    return String(decoding: bytes, as: UTF8.self)
}
