import Foundation
import Kernels
import TensorCore

/// transformers' Mamba2Block: x + mixer(RMSNorm(x)), the mixer as in the Mamba-2 paper's
/// figure: in_proj → [z | xBC | Δ]; xBC → causal conv1d → SiLU → [x | B | C]; the SSD scan over
/// (Δ, A, B, C, D) with one scalar A per head; the gated RMSNorm (per group) with z; out_proj.
public final class Mamba2Block: RefiningBlock {
    public let norm: RMSNorm
    public let inProj: Linear        // (d_inner + conv_dim + heads, hidden): z, then xBC, then Δ
    public let convWeight: Tensor    // (conv_dim, 1, kernel)
    public let convBias: Tensor?     // (conv_dim)
    public let dtBias: Tensor        // (heads)
    public let aLog: Tensor          // (heads): A = −exp(A_log)
    public let D: Tensor             // (heads)
    public let gatedNormWeight: Tensor // (d_inner): mixer.norm
    public let outProj: Linear       // (hidden, d_inner)
    let settings: Mamba2Config

    /// Initialised as transformers (v5) does: in_proj ~ N(0, initializer_range) with zero bias;
    /// A_log = log(1…heads), D = 1, dt_bias = softplus⁻¹(dt) with dt log-uniform in [min, max],
    /// floored (all three without weight decay); conv1d and out_proj kaiming-uniform; norms 1;
    /// optional prenorm-residual rescale of out_proj by 1/√layers.
    public init(_ c: Mamba2Config, generator g: inout RandomGenerator) {
        settings = c
        let (h, di, heads, k) = (c.hiddenSize, c.intermediateSize, c.numHeads, c.convKernel)
        let projection = di + c.convDim + heads
        norm = RMSNorm(width: h, eps: c.layerNormEpsilon)
        inProj = Linear(weight: Tensor.randomNormal([projection, h], std: Float(c.initializerRange), generator: &g),
                        bias: c.useBias ? .zeros([projection]) : nil)
        convWeight = kaimingUniform([c.convDim, 1, k], fanIn: k, generator: &g)
        convBias = c.useConvBias ? .zeros([c.convDim]) : nil
        dtBias = inverseSoftplusTimeSteps(heads, min: c.timeStepMin, max: c.timeStepMax, floor: c.timeStepFloor, generator: &g)
        aLog = Tensor((0..<heads).map { Float(Foundation.log(Double($0 + 1))) }, shape: [heads])
        D = .ones([heads])
        gatedNormWeight = .ones([di])
        outProj = outProjection(hidden: h, inner: di, bias: c.useBias, rescaleOverLayers: c.rescalePrenormResidual ? c.numHiddenLayers : nil,
                                generator: &g)
    }

    public func register(in store: ParameterStore, prefix: String) {
        let m = prefix + "mixer."
        norm.register(in: store, prefix: prefix + "norm.")
        store.add(m + "dt_bias", dtBias, decay: false)
        store.add(m + "A_log", aLog, decay: false)
        store.add(m + "D", D, decay: false)
        store.add(m + "conv1d.weight", convWeight)
        if let convBias { store.add(m + "conv1d.bias", convBias, decay: false) }
        inProj.register(in: store, prefix: m + "in_proj.")
        store.add(m + "norm.weight", gatedNormWeight, decay: false)
        outProj.register(in: store, prefix: m + "out_proj.")
    }

    /// At `rows` the gate z, the gated norm and out_proj run for those rows only (the scan
    /// still spans the prefix). With a table, the norm and in_proj run on it.
    public func forward(_ input: BlockInput) -> Tensor {
        let c = settings
        let normed = input.tokenwise.transformed { norm($0) }
        let parts = inProj.splitOutputs([c.intermediateSize, c.convDim, c.numHeads])   // z, xBC, Δ
        let xBC = normed.map { parts[1]($0) }.causalConv1d(weight: convWeight, bias: convBias ?? .zeros([c.convDim])).silu()
        var y = Tensor.ssdScan(xBC: xBC, dt: normed.map { parts[2]($0) }, dtBias: dtBias, aLog: aLog, D: D,
                               heads: c.numHeads, groups: c.nGroups, state: c.stateSize,
                               timeStepLimit: (Float(c.timeStepLimit[0]), Float(c.timeStepLimit[1])))
        let rows = input.rows
        if let rows { y = y.tokenRows(rows) }
        let z = normed.map(at: rows) { parts[0]($0) }
        let mixed = c.normBeforeGate ? groupNorm(y) * z.silu()
            : y.rmsNorm(gate: z, weight: gatedNormWeight, groups: c.nGroups, eps: Float(c.layerNormEpsilon))
        let residual = rows.map { input.x.tokenRows($0) } ?? input.x
        return residual + outProj(mixed)
    }

    /// mixer.norm without its gate: RMSNorm over each group's d_inner / n_groups channels, then the weight.
    func groupNorm(_ y: Tensor) -> Tensor {
        let c = settings, eps = Float(c.layerNormEpsilon)
        guard c.nGroups > 1 else { return y.rmsNorm(weight: gatedNormWeight, eps: eps) }
        let width = c.intermediateSize / c.nGroups
        let grouped = y.reshape(Array(y.shape.dropLast()) + [c.nGroups, width])
        return grouped.rmsNorm(weight: .ones([width]), eps: eps).reshape(y.shape) * gatedNormWeight
    }

    public func flops(sequence: Int, refined r: BlockRefinement) -> FLOPCount {
        let c = settings
        let (H, Di, N, heads) = (Double(c.hiddenSize), Double(c.intermediateSize), Double(c.stateSize), Double(c.numHeads))
        var f = FLOPCount()
        f.tokenwise(2 * H * (Double(c.convDim) + heads), reachesAnswer: false, r)   // in_proj: xBC, Δ
        f.tokenwise(2 * H * Di, reachesAnswer: true, r)                               // in_proj: z
        f.perToken += 2 * Double(c.convKernel * c.convDim) + 4 * Di * N               // conv; the scan's h and y
        f.afterMixing(2 * Di * H, r)                                                  // out_proj
        return f
    }
}
