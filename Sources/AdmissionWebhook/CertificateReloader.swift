import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The serving certificate and key, read from PEM files and read again when they change
/// (cert-manager and Secret volume updates replace them in place).
///
/// Every TLS handshake takes the pair current at that moment through NIOSSL's context callback;
/// connections already open keep theirs. A pair that fails to load (a half-written update, a key
/// that does not parse) leaves the previous one in service and is retried on the next check.
public final class CertificateReloader: Service, Sendable {
    /// The files could not be read or parsed. Never quotes the key.
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    private struct Pair {
        var certificateBytes: [UInt8]
        var keyBytes: [UInt8]
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        /// How many times the pair was replaced since start; 0 is the one in the base TLS configuration.
        var generation: Int
    }

    public let certificatePath: String
    public let keyPath: String
    public let checkInterval: Duration
    private let logger: Logger
    private let current: Mutex<Pair>

    /// Reads the pair now: a server must not start without one.
    public init(certificatePath: String, keyPath: String, checkInterval: Duration = .seconds(5), logger: Logger) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.checkInterval = checkInterval
        self.logger = logger
        let (certificateBytes, keyBytes) = try Self.readFiles(certificatePath: certificatePath, keyPath: keyPath)
        let (chain, key) = try Self.parse(
            certificateBytes: certificateBytes, keyBytes: keyBytes, certificatePath: certificatePath, keyPath: keyPath)
        current = Mutex(Pair(certificateBytes: certificateBytes, keyBytes: keyBytes, chain: chain, key: key, generation: 0))
    }

    /// TLS 1.2 or newer, serving the current pair on every handshake.
    public func tlsConfiguration() -> TLSConfiguration {
        let (chain, key) = current.withLock { ($0.chain, $0.key) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            promise.succeed(self.configurationOverride())
        }
        return configuration
    }

    /// The pair to use for a handshake starting now.
    func configurationOverride() -> NIOSSLContextConfigurationOverride {
        current.withLock { pair in
            // The base configuration already holds the first pair.
            guard pair.generation > 0 else { return .noChanges }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            return override
        }
    }

    /// How many times the pair was replaced.
    public var generation: Int { current.withLock { $0.generation } }

    /// Reads the files and swaps the pair in when their contents changed and parse.
    /// Returns true when it swapped; throws when they changed but could not be loaded.
    @discardableResult
    public func reloadIfChanged() throws -> Bool {
        let (certificateBytes, keyBytes) = try Self.readFiles(certificatePath: certificatePath, keyPath: keyPath)
        let unchanged = current.withLock { $0.certificateBytes == certificateBytes && $0.keyBytes == keyBytes }
        if unchanged { return false }
        let (chain, key) = try Self.parse(
            certificateBytes: certificateBytes, keyBytes: keyBytes, certificatePath: certificatePath, keyPath: keyPath)
        let generation = current.withLock { pair in
            pair = Pair(
                certificateBytes: certificateBytes, keyBytes: keyBytes, chain: chain, key: key, generation: pair.generation + 1)
            return pair.generation
        }
        var metadata: Logger.Metadata = ["certificate": "\(certificatePath)", "generation": "\(generation)"]
        if let leaf = chain.first {
            metadata["notAfter"] = "\(Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)))"
        }
        logger.info("TLS certificate reloaded", metadata: metadata)
        return true
    }

    /// Checks the files every `checkInterval` until the service group shuts down.
    public func run() async throws {
        var lastFailure: String?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.checkInterval) }
            } catch {
                return
            }
            do {
                try reloadIfChanged()
                lastFailure = nil
            } catch {
                let reason = String(describing: error)
                // Once per distinct failure, not every few seconds.
                if reason != lastFailure {
                    logger.error("TLS certificate not reloaded; the previous one stays in service", metadata: ["error": "\(reason)"])
                    lastFailure = reason
                }
            }
        }
    }

    private static func readFiles(certificatePath: String, keyPath: String) throws -> ([UInt8], [UInt8]) {
        func read(_ path: String, _ what: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LoadError(description: "cannot read the TLS \(what) file \(path)")
            }
            return [UInt8](data)
        }
        return (try read(certificatePath, "certificate"), try read(keyPath, "key"))
    }

    private static func parse(
        certificateBytes: [UInt8], keyBytes: [UInt8], certificatePath: String, keyPath: String
    ) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw LoadError(description: "\(certificatePath) is not a PEM certificate chain")
        }
        guard !chain.isEmpty else { throw LoadError(description: "\(certificatePath) holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw LoadError(description: "\(keyPath) is not an unencrypted PEM private key")
        }
        // A context refuses a key that is not the leaf's, so a half-replaced pair is caught here.
        do {
            _ = try NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw LoadError(description: "the key in \(keyPath) does not belong to the certificate in \(certificatePath)")
        }
        return (chain, key)
    }
}
