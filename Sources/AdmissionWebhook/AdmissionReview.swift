import Foundation
import JSON

/// The parts of an `admission.k8s.io/v1` AdmissionReview request the webhook reads.
public struct AdmissionRequest: Sendable, Equatable {
    public let uid: String
    /// `request.kind.kind`, e.g. "Pod".
    public let kind: String?
    /// `request.resource.resource`, e.g. "pods".
    public let resource: String?
    public let subResource: String?
    public let operation: String?
    public let namespace: String?
    public let object: JSONValue

    /// True for what the webhook rewrites: a Pod being created (not a subresource such as
    /// `pods/ephemeralcontainers` or `pods/binding`).
    public var isPodCreation: Bool {
        (kind ?? "Pod") == "Pod" && (resource ?? "pods") == "pods" && (subResource ?? "").isEmpty
            && (operation ?? "CREATE") == "CREATE"
    }

    /// The pod's name, or its `generateName` prefix when the API server has not named it yet
    /// (pods of a ReplicaSet or a Job).
    public var podName: String {
        let metadata = object["metadata"]
        if let name = metadata?["name"]?.stringValue, !name.isEmpty { return name }
        if let prefix = metadata?["generateName"]?.stringValue, !prefix.isEmpty { return prefix }
        return "-"
    }
}

/// A request body that is not an AdmissionReview the webhook can answer: HTTP 400.
public struct MalformedAdmissionReview: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

public enum AdmissionReview {
    public static let apiVersion = "admission.k8s.io/v1"

    /// Reads an AdmissionReview v1 request. The object must be a JSON object; uid a non-empty string.
    public static func parseRequest(_ body: some Collection<UInt8>) throws(MalformedAdmissionReview) -> AdmissionRequest {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body)
        } catch {
            throw MalformedAdmissionReview("the body is not JSON: \(error.description)")
        }
        guard case .object(let review) = document else {
            throw MalformedAdmissionReview("the body is \(document.kindDescription), not an AdmissionReview object")
        }
        guard review["kind"]?.stringValue == "AdmissionReview" else {
            throw MalformedAdmissionReview("kind is not AdmissionReview")
        }
        guard review["apiVersion"]?.stringValue == apiVersion else {
            throw MalformedAdmissionReview("apiVersion is not \(apiVersion) (set admissionReviewVersions: [v1])")
        }
        guard case .object(let request)? = review["request"] else {
            throw MalformedAdmissionReview("request is missing or not an object")
        }
        guard let uid = request["uid"]?.stringValue, !uid.isEmpty else {
            throw MalformedAdmissionReview("request.uid is missing or not a string")
        }
        guard let object = request["object"], case .object = object else {
            throw MalformedAdmissionReview("request.object is missing or not an object")
        }
        return AdmissionRequest(
            uid: uid,
            kind: request["kind"]?["kind"]?.stringValue,
            resource: request["resource"]?["resource"]?.stringValue,
            subResource: request["subResource"]?.stringValue,
            operation: request["operation"]?.stringValue,
            namespace: request["namespace"]?.stringValue,
            object: object)
    }

    /// The AdmissionReview answer: always `allowed: true`; a base64 JSONPatch when there are
    /// operations; `warnings` when there are some.
    public static func response(uid: String, patch: [JSONPatch.Operation], warnings: [String] = []) -> JSONValue {
        var response = JSONObject()
        response["uid"] = .string(uid)
        response["allowed"] = .bool(true)
        if !patch.isEmpty {
            response["patchType"] = .string("JSONPatch")
            response["patch"] = .string(Data(JSONPatch.document(patch).serialized()).base64EncodedString())
        }
        if !warnings.isEmpty {
            response["warnings"] = .array(warnings.map { .string($0) })
        }
        return .object(
            JSONObject([
                ("apiVersion", .string(apiVersion)),
                ("kind", .string("AdmissionReview")),
                ("response", .object(response)),
            ]))
    }
}
