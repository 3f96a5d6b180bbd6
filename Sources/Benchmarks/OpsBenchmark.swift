import Foundation
import TensorCore

/// One row of `scanlab bench ops`: GFLOP/s for matmuls, GB/s for the rest.
public struct OpsBenchmarkRow: Codable, Equatable {
    public let op: String
    public let shape: String
    public let scanlab: Double
    public let direct: Double?
    public let ratio: Double?
    /// MachineInfo.benchmarkLine of the machine that measured the row.
    public let machine: String
}

/// Throughput of the ops the models lean on, at the models' shapes (batch 64, L=50: 64·52 = 3328 rows).
public enum OpsBenchmark {
    /// (name, m, n, k, transposeA, transposeB): the linear layer forward and both gradient forms.
    static let matmuls: [(String, Int, Int, Int, Bool, Bool)] = [
        ("matmul x·Wᵀ (ffn up)", 3328, 512, 128, false, true),
        ("matmul x·W", 3328, 512, 128, false, false),
        ("matmul dY·W (input grad)", 3328, 128, 512, false, false),
        ("matmul dYᵀ·X (weight grad)", 512, 128, 3328, true, false),
        ("matmul x·Wᵀ (qkv)", 3328, 384, 128, false, true),
        ("matmul x·Wᵀ (mamba in_proj)", 3328, 512, 128, false, true),
        ("matmul dYᵀ·X (mamba in_proj grad)", 256, 128, 3328, true, false),
        ("matmul x·Wᵀ (mamba x_proj)", 3328, 40, 256, false, true),
        ("matmul x·Wᵀ (mamba x_proj B)", 3328, 16, 256, false, true),
        ("matmul dYᵀ·X (mamba x_proj grad)", 40, 256, 3328, true, false),
        ("matmul dYᵀ·X (mamba x_proj B grad)", 16, 256, 3328, true, false),
        ("matmul x·Wᵀ (mamba dt_proj)", 3328, 256, 8, false, true),
        ("matmul dY·W (mamba dt_proj input grad)", 3328, 8, 256, false, false),
        ("matmul x·Wᵀ (mamba out_proj)", 3328, 128, 256, false, true),
    ]

    /// `rounds`: each product is timed in this many interleaved rounds (ScanLab's, then the
    /// direct call), each side a median over `seconds / rounds`; the figures are the medians
    /// over rounds, so both sides see the same share of the other tenants' noise.
    public static func run(seconds: Double, rounds: Int = 5) -> [OpsBenchmarkRow] {
        var rows: [OpsBenchmarkRow] = []
        var gen = RandomGenerator(seed: 1)
        let machine = MachineInfo.current.benchmarkLine
        func row(_ op: String, _ shape: String, _ ours: Double, _ direct: Double?) -> OpsBenchmarkRow {
            OpsBenchmarkRow(op: op, shape: shape, scanlab: ours, direct: direct, ratio: direct.map { ours / $0 }, machine: machine)
        }
        for (name, m, n, k, ta, tb) in matmuls {
            let direct = DirectSgemm(ProductShape(m: m, n: n, k: k, transposeA: ta, transposeB: tb))
            let (a, b) = direct.operands
            var ours: [Double] = [], theirs: [Double] = []
            for _ in 0..<rounds {
                ours.append(medianSeconds(seconds: seconds / Double(rounds)) {
                    _ = withNoGrad { a.matmul(b, transposeA: ta, transposeB: tb) }
                })
                theirs.append(direct.medianSeconds(seconds: seconds / Double(rounds)))
            }
            let flops = direct.shape.flops
            rows.append(row(name, direct.shape.description, flops / median(ours) * 1e-9, flops / median(theirs) * 1e-9))
        }

        // Elementwise and row ops: bytes read + written per call.
        let big = Tensor.randomNormal([3328, 512], generator: &gen)
        let other = Tensor.randomNormal([3328, 512], generator: &gen)
        let rowVec = Tensor.randomNormal([512], generator: &gen)
        let w = Tensor.ones([512]), bias = Tensor.zeros([512])
        let bytes = Double(big.count * 4)
        let cases: [(String, Double, () -> Tensor)] = [
            ("add", 3 * bytes, { big + other }),
            ("mul (row broadcast)", 2 * bytes, { big * rowVec }),
            ("exp", 2 * bytes, { big.exp() }),
            ("silu", 2 * bytes, { big.silu() }),
            ("gelu", 2 * bytes, { big.gelu() }),
            ("softplus", 2 * bytes, { big.softplus() }),
            ("sum over rows", bytes, { big.sum(axis: 0) }),
            ("softmax (last axis)", 2 * bytes, { big.softmax() }),
            ("layerNorm", 2 * bytes, { big.layerNorm(weight: w, bias: bias) }),
            ("rmsNorm", 2 * bytes, { big.rmsNorm(weight: w) }),
        ]
        for (name, moved, f) in cases {
            let t = medianSeconds(seconds: seconds) { _ = withNoGrad(f) }
            rows.append(row(name, "3328x512", moved / t * 1e-9, nil))
        }
        let x = Tensor.randomNormal([64, 52, 256], generator: &gen)
        let cw = Tensor.randomNormal([256, 4], generator: &gen), cb = Tensor.zeros([256])
        let tConv = medianSeconds(seconds: seconds) { _ = withNoGrad { x.causalConv1d(weight: cw, bias: cb) } }
        rows.append(row("causalConv1d k=4", "64x52x256", 2 * Double(x.count * 4) / tConv * 1e-9, nil))
        return rows
    }

    public static func table(_ rows: [OpsBenchmarkRow]) -> String {
        formatTable(["op", "shape", "scanlab", "direct", "ratio", "unit"], rows.map { r in
            [r.op, r.shape, String(format: "%.1f", r.scanlab), r.direct.map { String(format: "%.1f", $0) } ?? "-",
             r.ratio.map { String(format: "%.2f", $0) } ?? "-", r.op.hasPrefix("matmul") ? "GFLOP/s" : "GB/s"]
        }) + machineFooter(rows.map(\.machine))
    }
}
