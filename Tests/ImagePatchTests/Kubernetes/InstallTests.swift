import Foundation
import Hashing
import ImagePatch
import JSON
import Kubernetes
import Testing

/// `imagepatch k8s install`: the manifests are checked by tools imagepatch did not write:
/// kubernetes-validate (the Kubernetes OpenAPI schemas), PyYAML (the YAML reads back as the objects),
/// openssl and Python's `cryptography` (the CA and the serving certificate).
@Suite("k8s install")
struct InstallTests {
    static let agentImage = "registry.example/falcon-sensor:7.20"
    static let image = "registry.example/imagepatch:1.0"

    static func options(certManager: Bool = false, namespace: String = "falcon-system") -> InstallOptions {
        var options = InstallOptions()
        options.image = image
        options.namespace = namespace
        options.agentImage = agentImage
        options.agentSettings = ["cid": ImagePatchCLI.cid, "falconctl-opts": "--tags=web"]
        options.certManager = certManager
        return options
    }

    static func objects(certManager: Bool = false, namespace: String = "falcon-system") throws -> [JSONValue] {
        try WebhookManifests(options: options(certManager: certManager, namespace: namespace)).objects()
    }

    static func kinds(_ objects: [JSONValue]) -> [String] { objects.compactMap { $0["kind"]?.stringValue } }

    static func only(_ kind: String, in objects: [JSONValue]) throws -> JSONValue {
        let found = objects.filter { $0["kind"]?.stringValue == kind }
        try #require(found.count == 1, "one \(kind)")
        return found[0]
    }

    static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }

    static func base64Decoded(_ value: JSONValue?) throws -> String {
        let text = try #require(value?.stringValue)
        let data = try #require(Data(base64Encoded: text), "valid base64")
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Schemas and YAML

    @Test(
        "every core object validates with kubernetes-validate --strict; cert-manager's are Issuers and Certificates",
        arguments: [false, true])
    func schemas(certManager: Bool) async throws {
        try await TempDirectory.with("k8s-install") { directory in
            let objects = try Self.objects(certManager: certManager)
            var files: [String] = []
            var certManagerKinds: [String] = []
            for (index, object) in objects.enumerated() {
                if object["apiVersion"]?.stringValue == "cert-manager.io/v1" {
                    certManagerKinds.append(object["kind"]?.stringValue ?? "")
                    continue
                }
                let path = directory.appending("\(index).json")
                try Data(object.serialized()).write(to: URL(fileURLWithPath: path))
                files.append(path)
            }
            let result = try await ProcessRunner.run("kubernetes-validate", ["--strict"] + files)
            #expect(result.succeeded, "\(result)")
            #expect(!result.stdoutText.contains("ERROR") && !result.stdoutText.contains("WARN"), "\(result)")
            #expect(result.stdoutText.components(separatedBy: " passed for resource ").count - 1 == files.count, "\(result)")
            #expect(certManagerKinds == (certManager ? ["Issuer", "Certificate", "Issuer", "Certificate"] : []))
        }
    }

    /// PyYAML reads the printed stream back as exactly the objects, in order (kubectl reads it the same way).
    /// Namespaces a YAML 1.1 reader would take for a bool or a number unless quoted.
    @Test(
        "the YAML stream reads back as the objects",
        arguments: [(false, "falcon-system"), (true, "falcon-system"), (false, "on"), (true, "123"), (false, "0x1f"), (true, "no")])
    func yamlReadsBack(certManager: Bool, namespace: String) async throws {
        try await TempDirectory.with("k8s-install") { directory in
            let objects = try Self.objects(certManager: certManager, namespace: namespace)
            let yaml = try WebhookManifests.yaml(objects)
            #expect(yaml.hasPrefix("---\n"))
            let yamlPath = directory.appending("out.yaml")
            let jsonPath = directory.appending("out.json")
            try Data(yaml.utf8).write(to: URL(fileURLWithPath: yamlPath))
            try Data(JSONValue.array(objects).serialized()).write(to: URL(fileURLWithPath: jsonPath))
            let script = """
                import json, sys, yaml
                docs = list(yaml.safe_load_all(open(sys.argv[1])))
                objs = json.load(open(sys.argv[2]))
                kinds = [d["kind"] for d in docs]
                same = [d == o for d, o in zip(docs, objs)]
                print(json.dumps({"count": len(docs), "kinds": kinds, "same": all(same) and len(docs) == len(objs)}))
                """
            let result = try await ProcessRunner.check("python3", ["-c", script, yamlPath, jsonPath])
            let summary = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
            #expect(summary?["same"] as? Bool == true, "\(result)")
            #expect(summary?["kinds"] as? [String] == Self.kinds(objects))
        }
    }

    @Test("--registry-auth-secret mounts the Docker config and gives it to the webhook as --authfile; the Deployment still validates")
    func registryAuthSecret() async throws {
        var options = Self.options()
        options.registryAuthSecret = "ecr-pull"
        let deployment = try Self.only("Deployment", in: try WebhookManifests(options: options).objects())
        let spec = try #require(deployment["spec"]?["template"]?["spec"])
        let container = try #require(spec["containers"]?.arrayValue?.first)
        let args = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Array(args.suffix(2)) == ["--authfile", "/registry-auth/config.json"])
        let mount = container["volumeMounts"]?.arrayValue?.first { $0["name"]?.stringValue == "registry-auth" }
        #expect(mount?["mountPath"]?.stringValue == "/registry-auth" && mount?["readOnly"] == .bool(true))
        let volume = spec["volumes"]?.arrayValue?.first { $0["name"]?.stringValue == "registry-auth" }
        #expect(volume?["secret"]?["secretName"]?.stringValue == "ecr-pull")
        #expect(volume?["secret"]?["items"]?.arrayValue?.first?["key"]?.stringValue == ".dockerconfigjson")
        try await TempDirectory.with("k8s-install-auth") { directory in
            let path = directory.appending("deployment.json")
            try Data(deployment.serialized()).write(to: URL(fileURLWithPath: path))
            let result = try await ProcessRunner.run("kubernetes-validate", ["--strict", path])
            #expect(result.succeeded && !result.stdoutText.contains("WARN"), "\(result)")
        }
        options.registryAuthSecret = "Not_A_Name"
        #expect(throws: (any Error).self) { try WebhookManifests(options: options).objects() }
    }

    @Test("the order kubectl apply needs: namespace first, webhook configuration last")
    func order() throws {
        #expect(
            Self.kinds(try Self.objects())
                == ["Namespace", "ServiceAccount", "Secret", "Service", "Deployment", "MutatingWebhookConfiguration"])
        #expect(
            Self.kinds(try Self.objects(certManager: true))
                == [
                    "Namespace", "ServiceAccount", "Issuer", "Certificate", "Issuer", "Certificate", "Service", "Deployment",
                    "MutatingWebhookConfiguration",
                ])
    }

    @Test("cert-manager output is the same on every run (members in a fixed order)")
    func deterministic() throws {
        let first = try WebhookManifests(options: Self.options(certManager: true)).yaml()
        let second = try WebhookManifests(options: Self.options(certManager: true)).yaml()
        #expect(first == second)
    }

    // MARK: Certificates

    @Test("the CA and serving certificate verify with openssl; the SANs are the Service's DNS names")
    func certificatesVerifyWithOpenSSL() async throws {
        try await TempDirectory.with("k8s-install") { directory in
            let secret = try Self.only("Secret", in: try Self.objects(namespace: "injector"))
            #expect(secret["type"]?.stringValue == "kubernetes.io/tls")
            let data = try #require(secret["data"])
            #expect(data.objectValue?.keys == ["ca.crt", "tls.crt", "tls.key"])
            let caPath = directory.appending("ca.crt")
            let certPath = directory.appending("tls.crt")
            try Data(try Self.base64Decoded(data["ca.crt"]).utf8).write(to: URL(fileURLWithPath: caPath))
            try Data(try Self.base64Decoded(data["tls.crt"]).utf8).write(to: URL(fileURLWithPath: certPath))

            let verified = try await ProcessRunner.check(
                "openssl",
                ["verify", "-CAfile", caPath, "-purpose", "sslserver", "-verify_hostname", "imagepatch-injector.injector.svc", certPath])
            #expect(verified.stdoutText == "\(certPath): OK\n")
            // The CA is not trusted for anything it did not sign: the serving certificate is no CA.
            let notCA = try await ProcessRunner.run("openssl", ["verify", "-CAfile", certPath, certPath])
            #expect(!notCA.succeeded)

            let leaf = try await ProcessRunner.check("openssl", ["x509", "-in", certPath, "-noout", "-text"]).stdoutText
            #expect(
                leaf.contains(
                    "DNS:imagepatch-injector, DNS:imagepatch-injector.injector, DNS:imagepatch-injector.injector.svc, DNS:imagepatch-injector.injector.svc.cluster.local"
                ), "\(leaf)")
            #expect(leaf.contains("TLS Web Server Authentication"))
            #expect(leaf.contains("CA:FALSE"))
            #expect(leaf.contains("ecdsa-with-SHA256"))
            #expect(leaf.contains("ASN1 OID: prime256v1"))
            let ca = try await ProcessRunner.check("openssl", ["x509", "-in", caPath, "-noout", "-text"]).stdoutText
            #expect(ca.contains("CA:TRUE"))
            #expect(ca.contains("Certificate Sign, CRL Sign"))
            #expect(ca.contains("Subject: CN = imagepatch-injector CA (injector)"))
        }
    }

    /// Python's `cryptography` reads the Secret: a P-256 key matching the certificate, which the CA signed.
    @Test("cryptography: the key matches the certificate, the CA signed it, caBundle is the CA")
    func certificatesWithCryptography() async throws {
        try await TempDirectory.with("k8s-install") { directory in
            let objects = try Self.objects()
            let path = directory.appending("objects.json")
            try Data(JSONValue.array(objects).serialized()).write(to: URL(fileURLWithPath: path))
            let script = """
                import base64, json, sys
                from cryptography import x509
                from cryptography.hazmat.primitives import serialization
                from cryptography.hazmat.primitives.asymmetric import ec
                from cryptography.x509.oid import ExtendedKeyUsageOID
                objs = json.load(open(sys.argv[1]))
                secret = [o for o in objs if o["kind"] == "Secret"][0]["data"]
                hook = [o for o in objs if o["kind"] == "MutatingWebhookConfiguration"][0]["webhooks"][0]
                ca = x509.load_pem_x509_certificate(base64.b64decode(secret["ca.crt"]))
                leaf = x509.load_pem_x509_certificate(base64.b64decode(secret["tls.crt"]))
                key = serialization.load_pem_private_key(base64.b64decode(secret["tls.key"]), password=None)
                ca.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes, ec.ECDSA(leaf.signature_hash_algorithm))
                ca.public_key().verify(ca.signature, ca.tbs_certificate_bytes, ec.ECDSA(ca.signature_hash_algorithm))
                bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
                ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
                san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
                print(json.dumps({
                    "keyMatches": key.public_key().public_numbers() == leaf.public_key().public_numbers(),
                    "curve": key.curve.name,
                    "issuerIsCA": leaf.issuer == ca.subject,
                    "caIsCA": bc.value.ca and bc.critical,
                    "keyCertSign": ku.value.key_cert_sign,
                    "dnsNames": san.get_values_for_type(x509.DNSName),
                    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH in eku,
                    "caBundleIsCA": base64.b64decode(hook["clientConfig"]["caBundle"]) == base64.b64decode(secret["ca.crt"]),
                    "days": (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days,
                }))
                """
            let result = try await ProcessRunner.check("python3", ["-c", script, path])
            let summary = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result)")
            #expect(summary["keyMatches"] as? Bool == true)
            #expect(summary["curve"] as? String == "secp256r1")
            #expect(summary["issuerIsCA"] as? Bool == true)
            #expect(summary["caIsCA"] as? Bool == true)
            #expect(summary["keyCertSign"] as? Bool == true)
            #expect(
                summary["dnsNames"] as? [String]
                    == [
                        "imagepatch-injector", "imagepatch-injector.falcon-system", "imagepatch-injector.falcon-system.svc",
                        "imagepatch-injector.falcon-system.svc.cluster.local",
                    ])
            #expect(summary["serverAuth"] as? Bool == true)
            #expect(summary["caBundleIsCA"] as? Bool == true)
            #expect(summary["days"] as? Int == 3650)
        }
    }

    @Test("each run makes a new CA and key; a description never shows the key")
    func freshAndRedacted() throws {
        let names = ["svc.ns.svc"]
        let first = try WebhookCertificates.make(caName: "test CA", dnsNames: names, validityDays: 1)
        let second = try WebhookCertificates.make(caName: "test CA", dnsNames: names, validityDays: 1)
        #expect(first.caCertificatePEM != second.caCertificatePEM)
        #expect(first.servingKeyPEM != second.servingKeyPEM)
        #expect(first.servingKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        for text in [String(describing: first), String(reflecting: first), "\(first)"] {
            #expect(!text.contains("PRIVATE KEY") && !text.contains("BEGIN"))
        }
        #expect(throws: CertificateError.self) { try WebhookCertificates.make(caName: "CA", dnsNames: ["a,DNS:evil"], validityDays: 1) }
        #expect(throws: CertificateError.self) { try WebhookCertificates.make(caName: "CA", dnsNames: [], validityDays: 1) }
    }

    /// A private key shows up base64-encoded in the Secret's tls.key and nowhere else (the CA's key is never written).
    @Test("private keys appear only in the Secret", arguments: [false, true])
    func privateKeysOnlyInSecret(certManager: Bool) throws {
        var found: [String] = []
        func walk(_ value: JSONValue, _ place: String) {
            switch value {
            case .object(let object): for (key, member) in object { walk(member, place + "." + key) }
            case .array(let array): for (index, element) in array.enumerated() { walk(element, place + "[\(index)]") }
            case .string(let text):
                let decoded = Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } ?? ""
                if text.contains("PRIVATE KEY") || decoded.contains("PRIVATE KEY") { found.append(place) }
            default: break
            }
        }
        for object in try Self.objects(certManager: certManager) { walk(object, object["kind"]?.stringValue ?? "?") }
        #expect(found == (certManager ? [] : ["Secret.data.tls.key"]))
    }

    // MARK: The webhook configuration

    @Test("MutatingWebhookConfiguration: the fields the issue names, exactly")
    func webhookConfiguration() throws {
        let objects = try Self.objects(namespace: "injector")
        let configuration = try Self.only("MutatingWebhookConfiguration", in: objects)
        #expect(configuration["apiVersion"]?.stringValue == "admissionregistration.k8s.io/v1")
        #expect(configuration["metadata"]?["annotations"] == nil)
        let webhooks = try #require(configuration["webhooks"]?.arrayValue)
        try #require(webhooks.count == 1)
        let webhook = webhooks[0]
        #expect(webhook["admissionReviewVersions"] == Self.strings(["v1"]))
        #expect(webhook["sideEffects"] == .string("None"))
        #expect(webhook["failurePolicy"] == .string("Ignore"))
        #expect(webhook["timeoutSeconds"] == .integer(5))
        #expect(webhook["reinvocationPolicy"] == .string("IfNeeded"))
        #expect(
            webhook["clientConfig"]?["service"]
                == .object(
                    JSONObject([
                        ("name", .string("imagepatch-injector")), ("namespace", .string("injector")), ("path", .string("/mutate")),
                        ("port", .integer(443)),
                    ])))
        let secret = try Self.only("Secret", in: objects)
        #expect(try Self.base64Decoded(webhook["clientConfig"]?["caBundle"]) == (try Self.base64Decoded(secret["data"]?["ca.crt"])))
        #expect(try Self.base64Decoded(webhook["clientConfig"]?["caBundle"]).hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        let rules = try #require(webhook["rules"]?.arrayValue)
        #expect(rules.count == 1)
        #expect(rules.first?["operations"] == Self.strings(["CREATE"]))
        #expect(rules.first?["apiGroups"] == Self.strings([""]))
        #expect(rules.first?["apiVersions"] == Self.strings(["v1"]))
        #expect(rules.first?["resources"] == Self.strings(["pods"]))
        func notIn(_ key: String, _ values: [String]) -> JSONValue {
            .object(JSONObject([("key", .string(key)), ("operator", .string("NotIn")), ("values", Self.strings(values))]))
        }
        let optOut = notIn("sensor.falcon-system.crowdstrike.com/injection", ["disabled"])
        #expect(
            webhook["namespaceSelector"]
                == .object(
                    JSONObject([("matchExpressions", .array([notIn("kubernetes.io/metadata.name", ["kube-system", "injector"]), optOut]))]))
        )
        #expect(webhook["objectSelector"] == .object(JSONObject([("matchExpressions", .array([optOut]))])))
    }

    @Test("--cert-manager: Issuers and Certificates, the inject-ca-from annotation, no Secret and no caBundle")
    func certManager() throws {
        let objects = try Self.objects(certManager: true)
        #expect(!Self.kinds(objects).contains("Secret"))
        let configuration = try Self.only("MutatingWebhookConfiguration", in: objects)
        #expect(
            configuration["metadata"]?["annotations"]
                == .object(JSONObject([("cert-manager.io/inject-ca-from", .string("falcon-system/imagepatch-injector-tls"))])))
        #expect(configuration["webhooks"]?.arrayValue?.first?["clientConfig"]?["caBundle"] == nil)
        let certificates = objects.filter { $0["kind"]?.stringValue == "Certificate" }
        let serving = try #require(certificates.first { $0["metadata"]?["name"]?.stringValue == "imagepatch-injector-tls" })
        #expect(serving["metadata"]?["namespace"]?.stringValue == "falcon-system")
        #expect(serving["spec"]?["secretName"]?.stringValue == "imagepatch-injector-tls")
        #expect(
            serving["spec"]?["dnsNames"]
                == Self.strings([
                    "imagepatch-injector", "imagepatch-injector.falcon-system", "imagepatch-injector.falcon-system.svc",
                    "imagepatch-injector.falcon-system.svc.cluster.local",
                ]))
        #expect(serving["spec"]?["issuerRef"]?["name"]?.stringValue == "imagepatch-injector-ca")
        let ca = try #require(certificates.first { $0["metadata"]?["name"]?.stringValue == "imagepatch-injector-ca" })
        #expect(ca["spec"]?["isCA"] == .bool(true))
        let issuers = objects.filter { $0["kind"]?.stringValue == "Issuer" }
        #expect(issuers.map { $0["spec"]?.objectValue?.keys ?? [] } == [["selfSigned"], ["ca"]])
        #expect(issuers.last?["spec"]?["ca"]?["secretName"]?.stringValue == "imagepatch-injector-ca")
        // The Deployment mounts the Secret cert-manager writes.
        let deployment = try Self.only("Deployment", in: objects)
        let volumes = deployment["spec"]?["template"]?["spec"]?["volumes"]?.arrayValue ?? []
        #expect(volumes.contains { $0["secret"]?["secretName"]?.stringValue == "imagepatch-injector-tls" })
    }

    // MARK: Deployment, Service, Namespace

    @Test("Deployment: 2 replicas, HTTPS readiness on /healthz, a locked-down container running the webhook with the preset flags")
    func deployment() throws {
        let objects = try Self.objects()
        let deployment = try Self.only("Deployment", in: objects)
        #expect(deployment["spec"]?["replicas"] == .integer(2))
        let pod = try #require(deployment["spec"]?["template"])
        #expect(pod["metadata"]?["labels"]?["sensor.falcon-system.crowdstrike.com/injection"] == .string("disabled"))
        let spec = try #require(pod["spec"])
        #expect(spec["serviceAccountName"] == .string("imagepatch-injector"))
        let containers = try #require(spec["containers"]?.arrayValue)
        try #require(containers.count == 1)
        let container = containers[0]
        #expect(container["image"] == .string(Self.image))
        #expect(container["command"] == Self.strings(["imagepatch"]))
        #expect(
            container["args"]
                == Self.strings([
                    "k8s", "webhook", "--listen", "0.0.0.0:8443", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key",
                    "--preset", "falcon", "--agent-image", Self.agentImage, "--cid=\(ImagePatchCLI.cid)", "--falconctl-opts=--tags=web",
                ]))
        #expect(container["readinessProbe"]?["httpGet"]?["path"] == .string("/healthz"))
        #expect(container["readinessProbe"]?["httpGet"]?["scheme"] == .string("HTTPS"))
        #expect(container["readinessProbe"]?["httpGet"]?["port"] == .string("https"))
        #expect(container["ports"]?.arrayValue?.first?["containerPort"] == .integer(8443))
        let security = try #require(container["securityContext"])
        #expect(security["runAsNonRoot"] == .bool(true))
        #expect(security["readOnlyRootFilesystem"] == .bool(true))
        #expect(security["allowPrivilegeEscalation"] == .bool(false))
        #expect(security["capabilities"]?["drop"] == Self.strings(["ALL"]))
        #expect(security["seccompProfile"]?["type"] == .string("RuntimeDefault"))
        let mounts = container["volumeMounts"]?.arrayValue ?? []
        #expect(mounts.contains { $0["mountPath"] == .string("/tls") && $0["readOnly"] == .bool(true) })

        let service = try Self.only("Service", in: objects)
        let port = try #require(service["spec"]?["ports"]?.arrayValue?.first)
        #expect(port["port"] == .integer(443))
        #expect(port["targetPort"] == .string("https"))
        #expect(service["spec"]?["selector"] == deployment["spec"]?["selector"]?["matchLabels"])

        let namespace = try Self.only("Namespace", in: objects)
        #expect(namespace["metadata"]?["name"] == .string("falcon-system"))
        #expect(namespace["metadata"]?["labels"]?["sensor.falcon-system.crowdstrike.com/injection"] == .string("disabled"))
        #expect(namespace["metadata"]?["labels"]?["pod-security.kubernetes.io/enforce"] == .string("restricted"))
    }

    // MARK: Options

    @Test(
        "refused options name the flag",
        arguments: [
            (["--preset", "falcon"], "--cid is required with the falcon preset"),
            (["--preset", "lacework"], "--preset lacework delivers its agent by volumesFrom, which pods do not have"),
            (["--preset", "nope", "--cid", ImagePatchCLI.cid], "--preset"),
            (["--cid", ImagePatchCLI.cid, "--namespace", "Falcon_System"], "--namespace"),
            (["--cid", ImagePatchCLI.cid, "--namespace", "kube-system"], "--namespace"),
            (["--cid", ImagePatchCLI.cid, "--agent-image", "oci:/tmp/agent"], "--agent-image"),
        ])
    func refused(arguments: [String], message: String) async throws {
        var all = ["k8s", "install", "--image", Self.image]
        if !arguments.contains("--agent-image") { all += ["--agent-image", Self.agentImage] }
        let result = try await ImagePatchCLI.run(all + arguments)
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderrText.contains(message), "\(result)")
    }

    @Test("the command prints the stream: kubernetes-validate passes the core documents of its stdout")
    func command() async throws {
        try await TempDirectory.with("k8s-install") { directory in
            let result = try await ImagePatchCLI.run([
                "k8s", "install", "--image", Self.image, "--agent-image", Self.agentImage, "-cid", ImagePatchCLI.cid, "--namespace",
                "sensors",
            ])
            #expect(result.succeeded, "\(result)")
            #expect(result.stderr.isEmpty)
            let path = directory.appending("install.yaml")
            try result.stdout.write(to: URL(fileURLWithPath: path))
            let validated = try await ProcessRunner.run("kubernetes-validate", ["--strict", path])
            #expect(validated.succeeded, "\(validated)")
            #expect(validated.stdoutText.components(separatedBy: " passed for resource ").count - 1 == 6, "\(validated)")
        }
    }
}
