import Foundation
import Hashing
import JSON

/// The manifests `imagepatch k8s install` prints, in the order `kubectl apply` needs them: the
/// Namespace, the ServiceAccount, the TLS material (a Secret made here, or cert-manager resources),
/// the Service, the Deployment, then the MutatingWebhookConfiguration, last so that the API server
/// calls the webhook only once everything it needs exists (and `failurePolicy: Ignore` covers the
/// time until its pods are ready).
public struct WebhookManifests: Sendable {
    /// The Service, Deployment, ServiceAccount and webhook configuration's name.
    public static let name = "imagepatch-injector"
    /// The Secret (made here or by cert-manager) the serving certificate and key are in.
    public static let tlsSecretName = "imagepatch-injector-tls"
    /// Where the webhook listens in its pod, and the Service port the API server calls.
    public static let containerPort = 8443
    public static let servicePort = 443

    public let options: InstallOptions

    /// Checks the options (the preset's settings as `k8s inject` checks them).
    public init(options: InstallOptions) throws {
        try options.validate()
        self.options = options
    }

    /// The DNS names the API server and pods may use for the Service; the serving certificate has them all.
    public var serviceDNSNames: [String] {
        let service = Self.name
        let namespace = options.namespace
        return [service, "\(service).\(namespace)", "\(service).\(namespace).svc", "\(service).\(namespace).svc.cluster.local"]
    }

    /// Every object, as JSON, with TLS material made now (a new CA and serving key on each call) unless
    /// cert-manager makes it.
    public func objects() throws -> [JSONValue] {
        var objects = [namespace(), serviceAccount()]
        let caBundle: String?
        if options.certManager {
            objects += certManagerObjects()
            caBundle = nil
        } else {
            let certificates = try WebhookCertificates.make(
                caName: "imagepatch-injector CA (\(options.namespace))", dnsNames: serviceDNSNames, validityDays: options.validityDays)
            objects.append(tlsSecret(certificates))
            caBundle = Base64.encode(Array(certificates.caCertificatePEM.utf8))
        }
        objects += [service(), deployment(), webhookConfiguration(caBundle: caBundle)]
        return objects
    }

    /// `objects()` as a multi-document YAML stream.
    public func yaml() throws -> String { try Self.yaml(try objects()) }

    /// Objects as a multi-document YAML stream (`---` before each), members in their order.
    public static func yaml(_ objects: [JSONValue]) throws -> String { try ManifestYAML.stream(objects) }

    // MARK: Objects

    private var labels: JSONValue {
        object([
            ("app.kubernetes.io/name", .string(Self.name)),
            ("app.kubernetes.io/component", .string("admission-webhook")),
            ("app.kubernetes.io/managed-by", .string("imagepatch")),
        ])
    }

    private var selectorLabels: JSONValue {
        object([("app.kubernetes.io/name", .string(Self.name)), ("app.kubernetes.io/component", .string("admission-webhook"))])
    }

    private func metadata(_ name: String, namespaced: Bool = true, labels: JSONValue? = nil, annotations: JSONValue? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name))]
        if namespaced { members.append(("namespace", .string(options.namespace))) }
        members.append(("labels", labels ?? self.labels))
        if let annotations { members.append(("annotations", annotations)) }
        return object(members)
    }

    private func header(_ apiVersion: String, _ kind: String) -> [(String, JSONValue)] {
        [("apiVersion", .string(apiVersion)), ("kind", .string(kind))]
    }

    /// The webhook's own namespace: opted out of injection, and held to the `restricted` Pod Security
    /// Standard, which the webhook's pods meet.
    func namespace() -> JSONValue {
        var namespaceLabels = labels.objectValue ?? JSONObject()
        namespaceLabels[InstallOptions.optOutLabel] = .string("disabled")
        namespaceLabels["pod-security.kubernetes.io/enforce"] = .string("restricted")
        return object(
            header("v1", "Namespace") + [("metadata", metadata(options.namespace, namespaced: false, labels: .object(namespaceLabels)))])
    }

    /// The webhook calls no Kubernetes API, so its token is not mounted.
    func serviceAccount() -> JSONValue {
        object(header("v1", "ServiceAccount") + [("metadata", metadata(Self.name)), ("automountServiceAccountToken", .bool(false))])
    }

    func tlsSecret(_ certificates: WebhookCertificates) -> JSONValue {
        object(
            header("v1", "Secret") + [
                ("metadata", metadata(Self.tlsSecretName)),
                ("type", .string("kubernetes.io/tls")),
                (
                    "data",
                    object([
                        ("ca.crt", .string(Base64.encode(Array(certificates.caCertificatePEM.utf8)))),
                        ("tls.crt", .string(Base64.encode(Array(certificates.servingCertificatePEM.utf8)))),
                        ("tls.key", .string(Base64.encode(Array(certificates.servingKeyPEM.utf8)))),
                    ])
                ),
            ])
    }

    /// cert-manager's CA bootstrap: a self-signed Issuer signs a CA Certificate, a CA Issuer made from it
    /// signs the serving Certificate, and cert-manager's cainjector copies the CA into the webhook
    /// configuration (the `cert-manager.io/inject-ca-from` annotation).
    func certManagerObjects() -> [JSONValue] {
        let api = "cert-manager.io/v1"
        let selfSigned = "\(Self.name)-selfsigned"
        let caName = "\(Self.name)-ca"
        let ecdsa = object([("algorithm", .string("ECDSA")), ("size", .integer(256)), ("rotationPolicy", .string("Always"))])
        func issuerRef(_ name: String) -> JSONValue {
            object([("name", .string(name)), ("kind", .string("Issuer")), ("group", .string("cert-manager.io"))])
        }
        return [
            object(header(api, "Issuer") + [("metadata", metadata(selfSigned)), ("spec", object([("selfSigned", object([]))]))]),
            object(
                header(api, "Certificate") + [
                    ("metadata", metadata(caName)),
                    (
                        "spec",
                        object([
                            ("isCA", .bool(true)),
                            ("commonName", .string("\(Self.name) CA (\(options.namespace))")),
                            ("secretName", .string(caName)),
                            ("duration", .string("87600h")),
                            ("privateKey", ecdsa),
                            ("issuerRef", issuerRef(selfSigned)),
                        ])
                    ),
                ]),
            object(
                header(api, "Issuer") + [
                    ("metadata", metadata(caName)), ("spec", object([("ca", object([("secretName", .string(caName))]))])),
                ]),
            object(
                header(api, "Certificate") + [
                    ("metadata", metadata(Self.tlsSecretName)),
                    (
                        "spec",
                        object([
                            ("secretName", .string(Self.tlsSecretName)),
                            ("commonName", .string(serviceDNSNames[2])),
                            ("dnsNames", .array(serviceDNSNames.map(JSONValue.string))),
                            ("duration", .string("2160h")),
                            ("renewBefore", .string("720h")),
                            ("usages", .array(["server auth", "digital signature"].map(JSONValue.string))),
                            ("privateKey", ecdsa),
                            ("issuerRef", issuerRef(caName)),
                        ])
                    ),
                ]),
        ]
    }

    func service() -> JSONValue {
        object(
            header("v1", "Service") + [
                ("metadata", metadata(Self.name)),
                (
                    "spec",
                    object([
                        ("type", .string("ClusterIP")),
                        ("selector", selectorLabels),
                        (
                            "ports",
                            .array([
                                object([
                                    ("name", .string("https")), ("protocol", .string("TCP")), ("port", .integer(Self.servicePort)),
                                    ("targetPort", .string("https")),
                                ])
                            ])
                        ),
                    ])
                ),
            ])
    }

    /// The webhook's command line: `imagepatch k8s webhook` on the TLS files, with the preset flags.
    var webhookArguments: [String] {
        ["k8s", "webhook", "--listen", "0.0.0.0:\(Self.containerPort)", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key"]
            + options.webhookPresetArguments
            + (options.registryAuthSecret == nil ? [] : ["--authfile", Self.registryAuthDirectory + "/config.json"])
    }

    /// Where `--registry-auth-secret`'s Docker config is mounted.
    static let registryAuthDirectory = "/registry-auth"

    func deployment() -> JSONValue {
        var podLabels = selectorLabels.objectValue ?? JSONObject()
        // The webhook's pods are never injected, even if they are moved to another namespace.
        podLabels[InstallOptions.optOutLabel] = .string("disabled")
        let seccomp = object([("type", .string("RuntimeDefault"))])
        let probe = object([
            ("httpGet", object([("path", .string("/healthz")), ("port", .string("https")), ("scheme", .string("HTTPS"))])),
            ("periodSeconds", .integer(10)), ("timeoutSeconds", .integer(2)), ("failureThreshold", .integer(3)),
        ])
        let container = object([
            ("name", .string("webhook")),
            ("image", .string(options.image)),
            ("imagePullPolicy", .string("IfNotPresent")),
            ("command", .array([.string("imagepatch")])),
            ("args", .array(webhookArguments.map(JSONValue.string))),
            (
                "ports",
                .array([
                    object([("name", .string("https")), ("containerPort", .integer(Self.containerPort)), ("protocol", .string("TCP"))])
                ])
            ),
            ("readinessProbe", probe),
            ("livenessProbe", probe),
            (
                "resources",
                object([
                    ("requests", object([("cpu", .string("50m")), ("memory", .string("64Mi"))])),
                    ("limits", object([("memory", .string("256Mi"))])),
                ])
            ),
            (
                "securityContext",
                object([
                    ("runAsNonRoot", .bool(true)),
                    ("readOnlyRootFilesystem", .bool(true)),
                    ("allowPrivilegeEscalation", .bool(false)),
                    ("privileged", .bool(false)),
                    ("capabilities", object([("drop", .array([.string("ALL")]))])),
                    ("seccompProfile", seccomp),
                ])
            ),
            (
                "volumeMounts",
                .array(
                    [
                        object([("name", .string("tls")), ("mountPath", .string("/tls")), ("readOnly", .bool(true))]),
                        object([("name", .string("tmp")), ("mountPath", .string("/tmp"))]),
                    ]
                        + (options.registryAuthSecret == nil
                            ? []
                            : [
                                object([
                                    ("name", .string("registry-auth")), ("mountPath", .string(Self.registryAuthDirectory)),
                                    ("readOnly", .bool(true)),
                                ])
                            ]))
            ),
        ])
        let podSpec = object([
            ("serviceAccountName", .string(Self.name)),
            ("automountServiceAccountToken", .bool(false)),
            (
                "securityContext",
                object([
                    ("runAsNonRoot", .bool(true)), ("runAsUser", .integer(65532)), ("runAsGroup", .integer(65532)),
                    ("fsGroup", .integer(65532)), ("seccompProfile", seccomp),
                ])
            ),
            ("containers", .array([container])),
            (
                "volumes",
                .array(
                    [
                        // Secret volumes follow the Secret's updates, so a rotated certificate reaches the webhook.
                        object([
                            ("name", .string("tls")),
                            ("secret", object([("secretName", .string(Self.tlsSecretName)), ("defaultMode", .integer(0o440))])),
                        ]),
                        object([("name", .string("tmp")), ("emptyDir", object([("sizeLimit", .string("64Mi"))]))]),
                    ] + registryAuthVolume)
            ),
        ])
        return object(
            header("apps/v1", "Deployment") + [
                ("metadata", metadata(Self.name)),
                (
                    "spec",
                    object([
                        ("replicas", .integer(options.replicas)),
                        ("selector", object([("matchLabels", selectorLabels)])),
                        ("template", object([("metadata", object([("labels", .object(podLabels))])), ("spec", podSpec)])),
                    ])
                ),
            ])
    }

    /// The `--registry-auth-secret` Secret's `.dockerconfigjson` as `config.json`, readable by the webhook's group only.
    var registryAuthVolume: [JSONValue] {
        guard let secret = options.registryAuthSecret else { return [] }
        let item = object([("key", .string(".dockerconfigjson")), ("path", .string("config.json"))])
        return [
            object([
                ("name", .string("registry-auth")),
                ("secret", object([("secretName", .string(secret)), ("items", .array([item])), ("defaultMode", .integer(0o440))])),
            ])
        ]
    }

    /// Pod CREATE only, never for kube-system, the webhook's namespace, or a namespace or pod labelled
    /// with the opt-out label; a fault of the webhook never blocks a pod (`failurePolicy: Ignore`).
    func webhookConfiguration(caBundle: String?) -> JSONValue {
        var clientConfig: [(String, JSONValue)] = [
            (
                "service",
                object([
                    ("name", .string(Self.name)), ("namespace", .string(options.namespace)), ("path", .string("/mutate")),
                    ("port", .integer(Self.servicePort)),
                ])
            )
        ]
        if let caBundle { clientConfig.append(("caBundle", .string(caBundle))) }
        let optedOut = object([
            ("key", .string(InstallOptions.optOutLabel)), ("operator", .string("NotIn")), ("values", .array([.string("disabled")])),
        ])
        let webhook = object([
            ("name", .string("pods.\(Self.name).\(options.namespace).svc")),
            ("admissionReviewVersions", .array([.string("v1")])),
            ("sideEffects", .string("None")),
            ("failurePolicy", .string("Ignore")),
            ("timeoutSeconds", .integer(5)),
            ("reinvocationPolicy", .string("IfNeeded")),
            ("matchPolicy", .string("Equivalent")),
            ("clientConfig", object(clientConfig)),
            (
                "rules",
                .array([
                    object([
                        ("operations", .array([.string("CREATE")])), ("apiGroups", .array([.string("")])),
                        ("apiVersions", .array([.string("v1")])),
                        ("resources", .array([.string("pods")])), ("scope", .string("Namespaced")),
                    ])
                ])
            ),
            (
                "namespaceSelector",
                object([
                    (
                        "matchExpressions",
                        .array([
                            object([
                                ("key", .string("kubernetes.io/metadata.name")), ("operator", .string("NotIn")),
                                ("values", .array([.string("kube-system"), .string(options.namespace)])),
                            ]),
                            optedOut,
                        ])
                    )
                ])
            ),
            ("objectSelector", object([("matchExpressions", .array([optedOut]))])),
        ])
        let annotations =
            options.certManager
            ? object([("cert-manager.io/inject-ca-from", .string("\(options.namespace)/\(Self.tlsSecretName)"))]) : nil
        return object(
            header("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") + [
                ("metadata", metadata(Self.name, namespaced: false, annotations: annotations)),
                ("webhooks", .array([webhook])),
            ])
    }
}

private func object(_ members: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(members)) }

/// Standard base64 with padding, as Secret `data` and `caBundle` take it.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
