import Foundation

/// The one way ScanLab reads and writes its JSON files (config.json, study.json,
/// provenance.json): canonical text (pretty, sorted keys) written atomically, and decoding
/// errors that name the file, the key and what was wrong, since people edit these files by hand.
public enum JSONRecord {
    /// Canonical text: two records are equal exactly when their texts are.
    public static func text<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain Codable records of numbers, strings and arrays cannot fail.
        return String(decoding: try! e.encode(value), as: UTF8.self)
    }

    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        try AtomicFile.write(path, text: text(value))
    }

    /// Decodes `path`; nil when the file does not exist. A file that cannot be read or decoded
    /// is an error naming it (describe's wording).
    public static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SystemIOError.errno(path, "reading")
        }
        return try decode(type, from: data, source: path)
    }

    /// Decodes `data`; `source` (a file name, "the checkpoint's record") prefixes any error.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        try decodeFields(type, from: data, source: source)
    }

    static func decodeFields<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
            if case .dataCorrupted(let c) = error, c.codingPath.isEmpty {
                throw SystemIOError("\(source): \(locateCorruption(type, data))")
            }
            throw SystemIOError("\(source): \(describe(error))")
        } catch {
            throw SystemIOError("\(source): \(error.localizedDescription)")
        }
    }

    /// Decodes a record that can be written back, and refuses keys it does not have: a
    /// misspelt key ("kv_pairs") would otherwise be ignored and its field silently take its
    /// default, changing what a hand-edited run or study is.
    public static func decode<T: Codable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        let value: T = try decodeFields(type, from: data, source: source)
        if let unknown = unknownKeys(in: data, comparedWith: value).first {
            throw SystemIOError("\(source): key \(unknown) is not a field of a \(T.self) record (misspelt? it would be ignored)")
        }
        return value
    }

    public static func read<T: Codable>(_ type: T.Type, from path: String) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SystemIOError.errno(path, "reading")
        }
        return try decode(type, from: data, source: path)
    }

    /// Key paths with a value (not null) in `data` that encoding `value` does not write, sorted.
    static func unknownKeys<T: Encodable>(in data: Data, comparedWith value: T) -> [String] {
        guard let given = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let known = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: [.fragmentsAllowed]) else { return [] }
        var out: [String] = []
        func walk(_ g: Any, _ k: Any, _ path: String) {
            if let gd = g as? [String: Any], let kd = k as? [String: Any] {
                for (key, v) in gd where !(v is NSNull) {
                    let p = path.isEmpty ? key : path + "." + key
                    if let kv = kd[key] { walk(v, kv, p) } else { out.append(p) }
                }
            } else if let ga = g as? [Any], let ka = k as? [Any] {
                for (i, v) in ga.enumerated() where i < ka.count { walk(v, ka[i], path + "[\(i)]") }
            }
        }
        walk(given, known, "")
        return out.sorted()
    }

    /// A decoding error as a person reads it: where (the key path) and what. (decode handles
    /// a corruption without a key path through locateCorruption.)
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let parts = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return parts.isEmpty ? "the top level" : "key " + parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let c):
            return "\(path(c.codingPath)): expected \(typeName(type)) (\(c.debugDescription))"
        case .valueNotFound(let type, let c):
            return "\(path(c.codingPath)): expected \(typeName(type)), found null"
        case .keyNotFound(let key, let c):
            return "\(path(c.codingPath + [key])): missing"
        case .dataCorrupted(let c):
            return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Foundation's decoder on Linux reports a fractional number where an integer belongs as
    /// "not valid JSON", with no key. Tell the two apart: text that does not parse is invalid
    /// JSON (with the parser's reason); otherwise the number that, made whole, lets the record
    /// decode is the one to name.
    static func locateCorruption<T: Decodable>(_ type: T.Type, _ data: Data) -> String {
        let tree: Any
        do { tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            let ns = error as NSError
            return "not valid JSON (\(ns.userInfo["NSDebugDescription"] as? String ?? ns.localizedDescription))"
        }
        var fractional: [([Any], Double)] = []
        func walk(_ node: Any, _ path: [Any]) {
            if let d = node as? [String: Any] { for (k, v) in d { walk(v, path + [k]) } }
            else if let a = node as? [Any] { for (i, v) in a.enumerated() { walk(v, path + [i]) } }
            else if let n = node as? NSNumber {  // true and false are 1 and 0: whole, never named
                let v = n.doubleValue
                if v.isFinite, v != v.rounded() { fractional.append((path, v)) }
            }
        }
        func replacing(_ node: Any, _ path: ArraySlice<Any>, _ value: Any) -> Any {
            guard let head = path.first else { return value }
            if var d = node as? [String: Any], let k = head as? String { d[k] = replacing(d[k] as Any, path.dropFirst(), value); return d }
            if var a = node as? [Any], let i = head as? Int { a[i] = replacing(a[i], path.dropFirst(), value); return a }
            return node
        }
        walk(tree, [])
        for (path, value) in fractional {
            let fixed = replacing(tree, path[...], Int(value.rounded(.towardZero)))
            guard let d = try? JSONSerialization.data(withJSONObject: fixed, options: [.fragmentsAllowed]) else { continue }
            do { _ = try JSONDecoder().decode(type, from: d) } catch DecodingError.dataCorrupted(let c) where c.codingPath.isEmpty { continue } catch {}
            let parts: [String] = path.map { part in (part as? Int).map { "[\($0)]" } ?? ".\(part)" }
            let key = String(parts.joined(separator: "").dropFirst(parts.first?.hasPrefix(".") == true ? 1 : 0))
            return "key \(key): expected an integer, found \(value)"
        }
        return "the values do not fit a \(T.self) record"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }

    /// The fields whose values differ between two records, as "key: A → B", nested fields
    /// by dotted path ("base.steps: 60 → 2500"; absent ones shown as "unset"); empty when equal.
    public static func differences<T: Encodable>(_ a: T, _ b: T) -> [String] {
        func object(_ v: T) -> Any? {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            return (try? e.encode(v)).flatMap { try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed]) }
        }
        func text(_ value: Any?) -> String {
            guard let value else { return "unset" }
            guard let d = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
                return "\(value)"
            }
            return String(decoding: d, as: UTF8.self)
        }
        func compare(_ x: Any?, _ y: Any?, _ path: String, _ out: inout [String]) {
            if let dx = x as? [String: Any], let dy = y as? [String: Any] {
                for key in Set(dx.keys).union(dy.keys).sorted() {
                    compare(dx[key], dy[key], path.isEmpty ? key : path + "." + key, &out)
                }
                return
            }
            let tx = text(x), ty = text(y)
            if tx != ty { out.append("\(path.isEmpty ? "the record" : path): \(tx) → \(ty)") }
        }
        var out: [String] = []
        compare(object(a), object(b), "", &out)
        return out
    }
}
