import Foundation

public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Typed access to config.json fields with clear errors.
struct ConfigFields {
    let dict: [String: Any]
    init(_ dict: [String: Any]) { self.dict = dict }

    func has(_ key: String) -> Bool { dict[key] != nil && !(dict[key] is NSNull) }

    /// The field converted by `convert`, or `value` when the field is absent; errors name the
    /// field and the expected kind.
    private func field<T>(_ key: String, default value: T?, kind: String, _ convert: (Any) -> T?) throws -> T {
        guard has(key) else {
            if let value { return value }
            throw ConfigError("config field \"\(key)\" is missing")
        }
        guard let v = convert(dict[key]!) else { throw ConfigError("config field \"\(key)\" must be \(kind), got \(dict[key]!)") }
        return v
    }

    func int(_ key: String, default value: Int?) throws -> Int {
        try field(key, default: value, kind: "an integer") { raw in
            guard !isBoolean(raw), let d = (raw as? NSNumber)?.doubleValue, d == d.rounded(), Swift.abs(d) < 1e15 else { return nil }
            return Int(d)
        }
    }

    func positiveInt(_ key: String, default value: Int?) throws -> Int {
        let v = try int(key, default: value)
        guard v > 0 else { throw ConfigError("config field \"\(key)\" must be positive, got \(v)") }
        return v
    }

    func double(_ key: String, default value: Double?) throws -> Double {
        try field(key, default: value, kind: "a number") { Self.number($0) }
    }

    /// A JSON number, or ±∞ as transformers ≥ 5 writes it ({"__float__": "Infinity"}) or as
    /// older versions did (a bare `Infinity`, quoted on reading: `quotingNonFiniteNumbers`).
    static func number(_ raw: Any) -> Double? {
        let infinities: [String: Double] = ["Infinity": .infinity, "-Infinity": -.infinity]
        if let tagged = raw as? [String: Any], tagged.count == 1, let s = tagged["__float__"] as? String { return infinities[s] }
        if let s = raw as? String { return infinities[s] }
        return isBoolean(raw) ? nil : (raw as? NSNumber)?.doubleValue
    }

    /// Python's json writes ∞ as a bare `Infinity` (transformers < 5, e.g. Mamba-2's
    /// time_step_limit), which JSON parsers refuse: outside strings, such tokens become the
    /// strings "Infinity" and "-Infinity", which `number` reads back.
    static func quotingNonFiniteNumbers(_ text: String) -> String {
        var out = "", inString = false, escaped = false
        var rest = Substring(text)
        while let ch = rest.first {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
            } else if ch == "\"" {
                inString = true
            } else if let token = ["-Infinity", "Infinity"].first(where: { rest.hasPrefix($0) }) {
                out += "\"" + token + "\""
                rest = rest.dropFirst(token.count)
                continue
            }
            out.append(ch)
            rest = rest.dropFirst()
        }
        return out
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        try field(key, default: value, kind: "true or false") { isBoolean($0) ? $0 as? Bool : nil }
    }

    func string(_ key: String, default value: String?) throws -> String {
        try field(key, default: value, kind: "a string") { $0 as? String }
    }

    func object(_ key: String) -> ConfigFields? { (dict[key] as? [String: Any]).map(ConfigFields.init) }
}

/// JSON true/false, told apart from the numbers 1 and 0 (Foundation bridges both to NSNumber).
func isBoolean(_ value: Any) -> Bool {
    String(describing: type(of: value)).contains("Boolean") || type(of: value) == Bool.self
}

/// Serialises a config dictionary with sorted keys (stable files, readable diffs). Floating
/// fields keep a decimal point (1.0, not 1): transformers ≥ 5 validates config fields by type
/// and refuses an integer where it declares a float.
func configJSON(_ dict: [String: Any]) -> String {
    func text(_ value: Any, indent: String) -> String {
        switch value {
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double:
            if d.isInfinite { return d > 0 ? #"{"__float__": "Infinity"}"# : #"{"__float__": "-Infinity"}"# }   // as transformers ≥ 5 writes it
            if d == d.rounded() && Swift.abs(d) < 1e15 { return String(Int(d)) + ".0" }
            return "\(d)"
        case let s as String:
            let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case let a as [Any]: return "[" + a.map { text($0, indent: indent) }.joined(separator: ", ") + "]"
        case let o as [String: Any]:
            let inner = indent + "  "
            return "{\n" + o.keys.sorted().map { inner + text($0, indent: inner) + ": " + text(o[$0]!, indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        default: fatalError("configJSON: unsupported value \(value)")
        }
    }
    return text(dict, indent: "")
}

/// Mamba's and Mamba-2's initial step sizes are drawn log-uniformly from [min, max].
func checkTimeStepRange(min: Double, max: Double) throws {
    guard min > 0, max >= min else { throw ConfigError("time_step_min/max must satisfy 0 < min ≤ max, got \(min), \(max)") }
}
