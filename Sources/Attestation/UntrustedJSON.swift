import JSON
import OCI

/// Parses a JSON document from a registry after bounding its size and depth.
func parseUntrustedObject(_ bytes: [UInt8], place: String, limit: Int = Limits.manifestBytes) throws(AttestationError) -> JSONObject {
    guard bytes.count <= limit else { throw .tooLarge(place: place, limit: limit) }
    let value: JSONValue
    do { value = try JSONValue(parsing: bytes, maxDepth: 32) } catch { throw .malformed(place: place, reason: "\(error)") }
    guard let object = value.objectValue else { throw .malformed(place: place, reason: "it is \(value.kindDescription), not an object") }
    guard object["schemaVersion"]?.int64Value == 2 else { throw .malformed(place: place, reason: "schemaVersion is not 2") }
    return object
}

/// The descriptors of `field` (layers, manifests), each validated; at most `limit` of them.
func descriptors(_ object: JSONObject, field: String, place: String, limit: Int) throws(AttestationError) -> [Descriptor] {
    guard let value = object[field] else { return [] }
    guard let array = value.arrayValue else { throw .malformed(place: place, reason: "\(field) is \(value.kindDescription), not an array") }
    guard array.count <= limit else { throw .tooManyEntries(place: place, limit: limit) }
    var result = [Descriptor]()
    for (index, element) in array.enumerated() {
        do { result.append(try Descriptor(json: element, place: "\(place) \(field)[\(index)]")) } catch {
            throw .malformed(place: place, reason: "\(error)")
        }
    }
    return result
}
