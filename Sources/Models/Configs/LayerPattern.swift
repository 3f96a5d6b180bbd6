/// A hybrid's layers in order, written as one letter each (M Mamba, S Mamba-2, T attention):
/// "MMT". Stored in configurations as that string.
public struct LayerPattern: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let blocks: [BlockKind]

    /// ScanLab's default hybrid: attention after two Mamba blocks (retrievit's "2M1T").
    public static let defaultHybrid: LayerPattern = "MMT"

    public init(parsing text: String) throws { blocks = try BlockKind.pattern(text) }

    /// For literals in code; a bad literal is a programming error.
    public init(stringLiteral text: String) {
        do { blocks = try BlockKind.pattern(text) } catch { preconditionFailure("\(error)") }
    }

    public var description: String { String(blocks.map(\.rawValue)) }
    public var count: Int { blocks.count }
    public func contains(_ kind: BlockKind) -> Bool { blocks.contains(kind) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
