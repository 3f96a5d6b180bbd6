import CBLAS
import Foundation
import TensorCore

/// How the rows added to a pretrained vocabulary start.
public enum NewTokenInit: String, Codable, CaseIterable, Sendable {
    /// N(0, initializer_range), as transformers' _init_weights draws a fresh embedding (the
    /// paper's setting: three draws, one per embedding seed).
    case normal
    /// transformers ≥ 4.46's default, resize_token_embeddings(mean_resizing=True): a normal
    /// with the old rows' mean and 1e-9 × their covariance (the mean itself when that
    /// covariance is not positive definite).
    case mean
}

/// Grows a vocabulary matrix (embedding or untied output head, rows × width) as
/// resize_token_embeddings does: the old rows are copied bit for bit, the new ones drawn.
public enum VocabularyExtension {
    /// Fills `extended` (V' × H) from `old` (V × H, V ≤ V'): rows 0..<V copied, the others by `rule`.
    public static func fill(_ extended: Tensor, from old: Tensor, rule: NewTokenInit, std: Float,
                            generator: inout RandomGenerator) throws {
        guard old.rank == 2, extended.rank == 2, old.shape[1] == extended.shape[1], old.shape[0] <= extended.shape[0] else {
            throw ConfigError("cannot extend a vocabulary matrix of shape \(old.shape) to \(extended.shape)")
        }
        let (v, h) = (old.shape[0], old.shape[1])
        extended.data.update(from: old.data, count: v * h)
        let added = UnsafeMutableBufferPointer(start: extended.data + v * h, count: (extended.shape[0] - v) * h)
        guard !added.isEmpty else { return }
        switch rule {
        case .normal:
            generator.fillNormal(added, mean: 0, std: std)
        case .mean:
            let (mean, cholesky) = meanAndScaledCholesky(old, scale: 1e-9)
            let rows = extended.shape[0] - v
            guard let cholesky else {
                for r in 0..<rows { for j in 0..<h { added[r * h + j] = Float(mean[j]) } }
                return
            }
            // x = μ + L·z with L·Lᵀ = 1e-9·Σ and z ~ N(0, I).
            var z = [Float](repeating: 0, count: h)
            for r in 0..<rows {
                z.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, std: 1) }
                for i in 0..<h {
                    var s = mean[i]
                    for k in 0...i { s += cholesky[i * h + k] * Double(z[k]) }
                    added[r * h + i] = Float(s)
                }
            }
        }
    }

    /// The rows' mean (H) and the lower Cholesky factor of `scale` × their covariance
    /// (H × H, row-major; nil when not positive definite). The covariance divides by V, as
    /// transformers does.
    static func meanAndScaledCholesky(_ rows: Tensor, scale: Double) -> (mean: [Double], cholesky: [Double]?) {
        let (v, h) = (rows.shape[0], rows.shape[1])
        var mean = [Double](repeating: 0, count: h)
        for r in 0..<v { for j in 0..<h { mean[j] += Double(rows.data[r * h + j]) } }
        for j in 0..<h { mean[j] /= Double(v) }
        // Σ = X_cᵀ X_c / V with X_c the centered rows: one sgemm (its upper triangle is all we read).
        var centered = [Float](repeating: 0, count: v * h)
        for r in 0..<v { for j in 0..<h { centered[r * h + j] = rows.data[r * h + j] - Float(mean[j]) } }
        var gram = [Float](repeating: 0, count: h * h)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(h), Int32(h), Int32(v), 1 / Float(v),
                    centered, Int32(h), centered, Int32(h), 0, &gram, Int32(h))
        var l = [Double](repeating: 0, count: h * h)
        let positiveDefinite = l.withUnsafeMutableBufferPointer { L -> Bool in
            for i in 0..<h {
                for j in 0...i {
                    var s = scale * Double(gram[j * h + i])
                    for k in 0..<j { s -= L[i * h + k] * L[j * h + k] }
                    if i == j {
                        guard s > 0, s.isFinite else { return false }
                        L[i * h + i] = s.squareRoot()
                    } else {
                        L[i * h + j] = s / L[j * h + j]
                    }
                }
            }
            return true
        }
        guard positiveDefinite else { return (mean, nil) }
        return (mean, l)
    }
}
