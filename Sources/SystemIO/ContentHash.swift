/// The one content hash of names and records (run folder names, configuration records, notebook
/// cells and parameter sets): 64-bit FNV-1a, stable across processes, machines and Swift
/// versions, which Swift's own Hasher is not.
public enum ContentHash {
    public static func fnv1aValue(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The hash as lowercase hex (no leading zeros, as the folder names have always had it).
    public static func fnv1a(_ text: String) -> String { String(fnv1aValue(text), radix: 16) }
}
