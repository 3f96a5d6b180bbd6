import Foundation
import Kernels
import TensorCore

/// One row of `scanlab bench kernels`.
public struct KernelsBenchmarkRow: Codable, Equatable {
    public let kernel: String      // "scan", "ssd" or "attention"
    public let pass: String        // "forward" or "forward+backward"
    public let L: Int
    public let fused_ms: Double
    public let reference_ms: Double
    public let speedup: Double
    /// MachineInfo.benchmarkLine of the machine that measured the row.
    public let machine: String
}

/// Fused kernels against their primitive-op compositions at the study's sizes.
public enum KernelsBenchmark {
    public static let scanLengths = [50, 100, 200, 400, 800]
    public static let attentionLengths = [53, 103, 203, 403, 803]
    public static let ssdLengths = [50, 100, 200, 400]

    public static func run(seconds: Double, scanLengths: [Int] = scanLengths,
                           attentionLengths: [Int] = attentionLengths, ssdLengths: [Int] = ssdLengths,
                           progress: (String) -> Void = { _ in }) -> [KernelsBenchmarkRow] {
        var rows: [KernelsBenchmarkRow] = []
        let machine = MachineInfo.current.benchmarkLine
        for L in scanLengths {
            let x = scanInputs(batch: 64, length: L, channels: 256, state: 16)
            let fused = { Tensor.selectiveScan(u: x[0], delta: x[1], deltaBias: x[2], aLog: x[3], B: x[4], C: x[5], D: x[6], z: x[7]) }
            let reference = { selectiveScanReference(u: x[0], delta: x[1], deltaBias: x[2], aLog: x[3], B: x[4], C: x[5], D: x[6], z: x[7]) }
            rows += measure("scan", L: L, inputs: x, seconds: seconds, machine: machine, fused: fused, reference: reference)
            progress("scan L=\(L) done")
        }
        // The tiny Mamba-2's SSD: 8 heads of 32 channels, one group, d_state 16.
        for L in ssdLengths {
            var g = RandomGenerator(seed: 4)
            let x = [Tensor.randomNormal([64, L, 256 + 2 * 16], generator: &g), Tensor.randomNormal([64, L, 8], std: 0.5, generator: &g),
                     Tensor.full([8], -3), Tensor((0..<8).map { Float(Foundation.log(Double($0 + 1))) }, shape: [8]), Tensor.ones([8])]
            rows += measure("ssd", L: L, inputs: x, seconds: seconds, machine: machine,
                            fused: { Tensor.ssdScan(xBC: x[0], dt: x[1], dtBias: x[2], aLog: x[3], D: x[4], heads: 8, groups: 1, state: 16) },
                            reference: { ssdScanReference(xBC: x[0], dt: x[1], dtBias: x[2], aLog: x[3], D: x[4], heads: 8, groups: 1, state: 16) })
            progress("ssd L=\(L) done")
        }
        // Pythia-sized attention: 4 heads of 32, rotary on 25% of each head.
        let rotary = try! RotaryEmbedding(headSize: 32, partialRotaryFactor: 0.25, base: 10000)
        for T in attentionLengths {
            var g = RandomGenerator(seed: 5)
            let qkv = Tensor.randomNormal([64, T, 4 * 3 * 32], generator: &g)
            rows += measure("attention", L: T, inputs: [qkv], seconds: seconds, machine: machine,
                            fused: { Tensor.causalAttention(qkv: qkv, heads: 4, rotary: rotary) },
                            reference: { causalAttentionReference(qkv: qkv, heads: 4, rotary: rotary) })
            progress("attention T=\(T) done")
        }
        return rows
    }

    /// Times forward (no graph) and forward+backward (graph, then backward from a fixed seed).
    static func measure(_ kernel: String, L: Int, inputs: [Tensor], seconds: Double, machine: String,
                        fused: @escaping () -> Tensor, reference: @escaping () -> Tensor) -> [KernelsBenchmarkRow] {
        func forward(_ f: () -> Tensor) -> Double { medianSeconds(seconds: seconds, minRuns: 3) { _ = withNoGrad(f) } }
        func training(_ f: () -> Tensor) -> Double {
            medianSeconds(seconds: seconds, minRuns: 3) {
                let y = f()
                y.backward(seed: Tensor.ones(y.shape))
                for t in inputs { t.grad = nil }
            }
        }
        for t in inputs { t.requiresGrad = true }
        let ff = forward(fused), fr = forward(reference)
        let tf = training(fused), tr = training(reference)
        return [
            KernelsBenchmarkRow(kernel: kernel, pass: "forward", L: L, fused_ms: ff * 1e3, reference_ms: fr * 1e3, speedup: fr / ff,
                                machine: machine),
            KernelsBenchmarkRow(kernel: kernel, pass: "forward+backward", L: L, fused_ms: tf * 1e3, reference_ms: tr * 1e3, speedup: tr / tf,
                                machine: machine),
        ]
    }

    static func scanInputs(batch: Int, length: Int, channels: Int, state: Int) -> [Tensor] {
        var g = RandomGenerator(seed: 3)
        let shape = [batch, length, channels]
        let aLog = Tensor((0..<channels * state).map { Float(Foundation.log(Double($0 % state + 1))) }, shape: [channels, state])
        return [Tensor.randomNormal(shape, generator: &g), Tensor.randomNormal(shape, std: 0.5, generator: &g),
                Tensor.full([channels], -4), aLog,
                Tensor.randomNormal([batch, length, state], generator: &g), Tensor.randomNormal([batch, length, state], generator: &g),
                Tensor.ones([channels]), Tensor.randomNormal(shape, generator: &g)]
    }

    public static func table(_ rows: [KernelsBenchmarkRow]) -> String {
        formatTable(["kernel", "pass", "L", "fused ms", "reference ms", "speedup"], rows.map { r in
            [r.kernel, r.pass, "\(r.L)", String(format: "%.2f", r.fused_ms), String(format: "%.1f", r.reference_ms),
             String(format: "%.1fx", r.speedup)]
        }) + machineFooter(rows.map(\.machine))
    }
}
