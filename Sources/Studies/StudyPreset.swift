/// The studies ScanLab defines, by the name `study --preset` takes.
public enum StudyPreset: String, CaseIterable, Codable, Sendable {
    case quick, standard, paper
    case suiteQuick = "suite-quick"
    case mqar

    public static var names: [String] { allCases.map(\.rawValue) }

    /// The preset's definition; `fromScratch` turns the paper preset (which fine-tunes
    /// pretrained checkpoints) into the same protocol on tiny models trained from scratch.
    public func spec(fromScratch: Bool = false) -> StudySpec {
        switch self {
        case .quick: .quick
        case .standard: .standard
        case .paper: fromScratch ? .paperFromScratch : .paper
        case .suiteQuick: .suiteQuick
        case .mqar: .mqar
        }
    }
}
