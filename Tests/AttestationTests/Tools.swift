import Foundation

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex text: String) -> [UInt8] {
    var out = [UInt8]()
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// A Python helper that verifies an ECDSA P-256/SHA-256 DER signature with pyca/cryptography:
/// argv = public key PEM file, message file, signature (base64); prints "valid" or "invalid".
let pythonVerifyECDSA = """
    import sys, base64
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.exceptions import InvalidSignature
    key = serialization.load_pem_public_key(open(sys.argv[1], "rb").read())
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1", key
    message = open(sys.argv[2], "rb").read()
    try:
        key.verify(base64.b64decode(sys.argv[3], validate=True), message, ec.ECDSA(hashes.SHA256()))
        print("valid")
    except InvalidSignature:
        print("invalid")
    """
