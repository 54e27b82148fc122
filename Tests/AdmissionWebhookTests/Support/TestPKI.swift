import Foundation
import TestTools

/// A CA and serving certificates made with the openssl command at test time, in a directory of the
/// test's own: the webhook's view of what `k8s install` or cert-manager mounts.
struct TestPKI: Sendable {
    let directory: TemporaryDirectory
    var caPath: String { directory.file("ca.pem") }
    /// The files the server is given: `tls.crt` and `tls.key`, as in a mounted Secret.
    var certificatePath: String { directory.file("tls.crt") }
    var keyPath: String { directory.file("tls.key") }

    static func make() async throws -> TestPKI {
        let directory = try TemporaryDirectory(label: "pki")
        let pki = TestPKI(directory: directory)
        try await Tools.check(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", directory.file("ca.key"), "-out", pki.caPath, "-days", "2", "-subj", "/CN=imagepatch test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try await pki.issueLeaf(named: "leaf1", commonName: "imagepatch-webhook-1")
        try FileManager.default.copyItem(atPath: directory.file("leaf1.pem"), toPath: pki.certificatePath)
        try FileManager.default.copyItem(atPath: directory.file("leaf1.key"), toPath: pki.keyPath)
        return pki
    }

    /// `NAME.pem` and `NAME.key`: a serving certificate for 127.0.0.1 and localhost, signed by the CA.
    func issueLeaf(named name: String, commonName: String) async throws {
        let extensions = directory.file("\(name).ext")
        try directory.write(
            "\(name).ext",
            Array(
                """
                subjectAltName=IP:127.0.0.1,DNS:localhost
                basicConstraints=critical,CA:FALSE
                keyUsage=critical,digitalSignature
                extendedKeyUsage=serverAuth

                """.utf8))
        try await Tools.check(
            "openssl",
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", directory.file("\(name).key"), "-out", directory.file("\(name).csr"), "-subj", "/CN=\(commonName)",
            ])
        try await Tools.check(
            "openssl",
            [
                "x509", "-req", "-in", directory.file("\(name).csr"), "-CA", caPath, "-CAkey", directory.file("ca.key"),
                "-set_serial", "0x\(UInt64.random(in: 1...UInt64.max / 2).hexString)", "-days", "2",
                "-extfile", extensions, "-out", directory.file("\(name).pem"),
            ])
    }

    /// Replaces tls.crt and tls.key with NAME's, each by rename, as a Secret volume update does.
    func install(_ name: String) throws {
        for (from, to) in [("\(name).pem", certificatePath), ("\(name).key", keyPath)] {
            let staged = to + ".new"
            try? FileManager.default.removeItem(atPath: staged)
            try FileManager.default.copyItem(atPath: directory.file(from), toPath: staged)
            guard rename(staged, to) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }

    /// The subject's common name the server presents now (no verification: the question is which
    /// certificate is served).
    func servedCommonName(port: Int) async throws -> String {
        let result = try await Tools.python(
            """
            import socket, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[2])
            with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    subject = dict(item[0] for item in tls.getpeercert()["subject"])
                    print(subject["commonName"])
            """, [String(port), caPath])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension UInt64 {
    fileprivate var hexString: String { String(self, radix: 16) }
}
