import Foundation
import Tasks
import Models

/// Settings given once per model family on the command line or in a notebook: checkpoints
/// as "pythia=A.h5,mamba=B.h5" (a bare path serves every family), published shapes as names,
/// which know their family ("pythia-160m,mamba-130m").
public enum PerFamily {
    /// Checkpoint paths by family, made absolute: a run's config.json names its checkpoint, and
    /// Slurm tasks or notebook workers may start in another folder.
    public static func checkpoints(_ text: String) throws -> [ModelFamily: String] {
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        let parts = text.split(separator: ",").map(String.init)
        if parts.count == 1 && !parts[0].contains("=") {
            return Dictionary(uniqueKeysWithValues: ModelFamily.allCases.map { ($0, absolute(text)) })
        }
        var files: [ModelFamily: String] = [:]
        for part in parts {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let family = ModelFamily(rawValue: kv[0]), !kv[1].isEmpty else {
                throw StudyError("--init-from: '\(part)' is not FAMILY=FILE (families: \(ModelFamily.names))")
            }
            guard files[family] == nil else { throw StudyError("--init-from names \(family.rawValue) twice") }
            files[family] = absolute(kv[1])
        }
        return files
    }

    public static func sizes(_ text: String) throws -> [ModelFamily: PublishedSize] {
        var sizes: [ModelFamily: PublishedSize] = [:]
        for name in text.split(separator: ",").map(String.init) {
            let published: PublishedSize
            do { published = try PublishedSize(named: name) } catch { throw StudyError("--size: \(error)") }
            let family = ModelFamily(published.config)
            guard sizes[family] == nil else { throw StudyError("--size names two \(family.rawValue) shapes") }
            sizes[family] = published
        }
        return sizes
    }
}

extension StudySpec {
    /// Sets the checkpoints (for the study's families) and published shapes from their texts.
    public mutating func setPerFamily(initFrom: String?, sizes sizeText: String?) throws {
        if let initFrom {
            let files = try PerFamily.checkpoints(initFrom)
            self.initFrom = Dictionary(uniqueKeysWithValues: files.filter { models.contains($0.key) }.map { ($0.key.rawValue, $0.value) })
        }
        if let sizeText {
            sizes = Dictionary(uniqueKeysWithValues: try PerFamily.sizes(sizeText).map { ($0.key.rawValue, $0.value) })
        }
    }
}
