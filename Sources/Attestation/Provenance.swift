import JSON
import OCI

/// in-toto Statement v1 (https://in-toto.io/Statement/v1) whose predicate is SLSA Provenance v1: what
/// imagepatch built, from which inputs, by which builder and when.
public enum InTotoStatement {
    public static let type = "https://in-toto.io/Statement/v1"
    public static let slsaProvenanceV1 = "https://slsa.dev/provenance/v1"
    public static let mediaType = "application/vnd.in-toto+json"

    public struct Subject: Sendable, Equatable {
        /// For an image, its repository (`HOST/REPO`); the digest is what is vouched for.
        public let name: String
        public let digest: Digest
        public init(name: String, digest: Digest) {
            self.name = name
            self.digest = digest
        }
    }

    public static func statement(subjects: [Subject], predicateType: String, predicate: JSONValue) -> [UInt8] {
        let subjectList = subjects.map { subject -> JSONValue in
            .object(
                JSONObject([
                    ("name", .string(subject.name)),
                    ("digest", .object(JSONObject([(subject.digest.algorithm.rawValue, .string(subject.digest.hex))]))),
                ]))
        }
        return JSONValue.object(
            JSONObject([
                ("_type", .string(type)),
                ("subject", .array(subjectList)),
                ("predicateType", .string(predicateType)),
                ("predicate", predicate),
            ])
        ).serialized()
    }
}

/// The inputs of a SLSA Provenance v1 predicate, as plain values. Credentials never belong here: the
/// caller passes references and options, not the settings they were resolved with.
public struct SLSAProvenance: Sendable {
    /// Identifies how to read externalParameters: a URI of ours (a URN, as the project has no web home
    /// to document it at), versioned with their shape.
    public static let imagepatchBuildType = "urn:imagepatch:buildtype:patch:v1"

    public struct Dependency: Sendable, Equatable {
        public let uri: String
        public let digest: Digest
        public let name: String?
        public init(uri: String, digest: Digest, name: String? = nil) {
            self.uri = uri
            self.digest = digest
            self.name = name
        }
    }

    public var buildType: String
    /// The source, agent(s), target, preset, and the options that shape the result. Values are
    /// strings or lists of strings; keys are written sorted.
    public var externalParameters: [String: ParameterValue]
    public var resolvedDependencies: [Dependency]
    public var builderID: String
    public var builderVersion: [String: String]
    public var invocationID: String?
    public var startedOn: Timestamp
    public var finishedOn: Timestamp

    public enum ParameterValue: Sendable, Equatable {
        case string(String)
        case list([String])
        case bool(Bool)
    }

    public init(
        buildType: String = SLSAProvenance.imagepatchBuildType, externalParameters: [String: ParameterValue],
        resolvedDependencies: [Dependency], builderID: String, builderVersion: [String: String] = [:],
        invocationID: String? = nil, startedOn: Timestamp, finishedOn: Timestamp
    ) {
        self.buildType = buildType
        self.externalParameters = externalParameters
        self.resolvedDependencies = resolvedDependencies
        self.builderID = builderID
        self.builderVersion = builderVersion
        self.invocationID = invocationID
        self.startedOn = startedOn
        self.finishedOn = finishedOn
    }

    public var predicate: JSONValue {
        let parameters = JSONObject(
            externalParameters.sorted { $0.key < $1.key }.map { key, value in
                let json: JSONValue =
                    switch value {
                    case .string(let text): .string(text)
                    case .list(let items): .array(items.map(JSONValue.string))
                    case .bool(let flag): .bool(flag)
                    }
                return (key, json)
            })
        let dependencies = resolvedDependencies.map { dependency -> JSONValue in
            var object = JSONObject([
                ("uri", .string(dependency.uri)),
                ("digest", .object(JSONObject([(dependency.digest.algorithm.rawValue, .string(dependency.digest.hex))]))),
            ])
            if let name = dependency.name { object["name"] = .string(name) }
            return .object(object)
        }
        var builder = JSONObject([("id", .string(builderID))])
        if !builderVersion.isEmpty {
            builder["version"] = .object(JSONObject(builderVersion.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        }
        var metadata = JSONObject()
        if let invocationID { metadata["invocationId"] = .string(invocationID) }
        metadata["startedOn"] = .string(startedOn.description)
        metadata["finishedOn"] = .string(finishedOn.description)
        return .object(
            JSONObject([
                (
                    "buildDefinition",
                    .object(
                        JSONObject([
                            ("buildType", .string(buildType)),
                            ("externalParameters", .object(parameters)),
                            ("resolvedDependencies", .array(dependencies)),
                        ]))
                ),
                (
                    "runDetails",
                    .object(
                        JSONObject([
                            ("builder", .object(builder)),
                            ("metadata", .object(metadata)),
                        ]))
                ),
            ]))
    }

    /// The whole in-toto statement about `subjects` (the patched platform manifests).
    public func statement(subjects: [InTotoStatement.Subject]) -> [UInt8] {
        InTotoStatement.statement(subjects: subjects, predicateType: InTotoStatement.slsaProvenanceV1, predicate: predicate)
    }
}
