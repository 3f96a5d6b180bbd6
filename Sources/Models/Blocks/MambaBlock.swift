import Foundation
import Kernels
import TensorCore

/// transformers' MambaBlock: x + mixer(RMSNorm(x)), the mixer as in the Mamba paper's figure:
/// in_proj → [x | z]; x → causal conv1d → SiLU → x_proj → [Δ_r | B | C]; Δ = dt_proj(Δ_r);
/// selective scan over (Δ, A, B, C, D) gated by SiLU(z) → out_proj. Sequences are (B, L, D).
public final class MambaBlock: RefiningBlock {
    public let norm: RMSNorm
    public let inProj: Linear        // (2·d_inner, hidden): x then z
    public let convWeight: Tensor    // (d_inner, 1, kernel)
    public let convBias: Tensor?     // (d_inner)
    public let xProj: Linear         // (dt_rank + 2·d_state, d_inner)
    public let dtProj: Linear        // (d_inner, dt_rank); its bias is Δ's
    public let aLog: Tensor          // (d_inner, d_state): A = −exp(A_log)
    public let D: Tensor             // (d_inner)
    public let outProj: Linear       // (hidden, d_inner)
    let innerSize: Int, stateSize: Int, dtRank: Int

    /// Initialised as transformers (v5) does: in_proj and x_proj ~ N(0, initializer_range);
    /// A_log = log(1…N) per channel and D = 1 (both without weight decay); dt_proj weight
    /// ~ U(±rank^−½·scale) (or constant); dt_proj bias = softplus⁻¹(dt) with dt log-uniform in
    /// [min, max], floored; conv1d and out_proj weights kaiming-uniform U(±1/√fan_in), conv and
    /// Linear biases 0; RMSNorm weights 1; optional prenorm-residual rescale of out_proj by 1/√layers.
    public init(_ c: MambaConfig, generator g: inout RandomGenerator) {
        let (h, di, n, r, k) = (c.hiddenSize, c.intermediateSize, c.stateSize, c.timeStepRank, c.convKernel)
        (innerSize, stateSize, dtRank) = (di, n, r)
        func normal(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, std: Float(c.initializerRange), generator: &g) }
        norm = RMSNorm(width: h, eps: c.layerNormEpsilon)
        inProj = Linear(weight: normal([2 * di, h]), bias: c.useBias ? .zeros([2 * di]) : nil)
        convWeight = kaimingUniform([di, 1, k], fanIn: k, generator: &g)
        convBias = c.useConvBias ? .zeros([di]) : nil
        xProj = Linear(weight: normal([r + 2 * n, di]))
        let dtStd = Float(Foundation.pow(Double(r), -0.5) * c.timeStepScale)
        let dtWeight = c.timeStepInitScheme == "constant"
            ? Tensor.full([di, r], dtStd) : Tensor.randomUniform([di, r], low: -dtStd, high: dtStd, generator: &g)
        dtProj = Linear(weight: dtWeight, bias: inverseSoftplusTimeSteps(di, min: c.timeStepMin, max: c.timeStepMax,
                                                                        floor: c.timeStepFloor, generator: &g))
        aLog = Tensor((0..<di * n).map { Float(Foundation.log(Double($0 % n + 1))) }, shape: [di, n])
        D = .ones([di])
        outProj = outProjection(hidden: h, inner: di, bias: c.useBias, rescaleOverLayers: c.rescalePrenormResidual ? c.numHiddenLayers : nil,
                                generator: &g)
    }

    public func register(in store: ParameterStore, prefix: String) {
        let m = prefix + "mixer."
        norm.register(in: store, prefix: prefix + "norm.")
        inProj.register(in: store, prefix: m + "in_proj.")
        store.add(m + "conv1d.weight", convWeight)
        if let convBias { store.add(m + "conv1d.bias", convBias, decay: false) }
        store.add(m + "x_proj.weight", xProj.weight)
        store.add(m + "dt_proj.weight", dtProj.weight)
        store.add(m + "dt_proj.bias", dtProj.bias!, decay: false)
        store.add(m + "A_log", aLog, decay: false)
        store.add(m + "D", D, decay: false)
        outProj.register(in: store, prefix: m + "out_proj.")
    }

    /// At `rows` the gate z, C, the scan's output and out_proj run for those rows only (the
    /// recurrence still spans the prefix). With a table, the norm and in_proj run on it.
    public func forward(_ input: BlockInput) -> Tensor {
        let (di, n, r) = (innerSize, stateSize, dtRank)
        let normed = input.tokenwise.transformed { norm($0) }
        let inputs = inProj.splitOutputs([di, di])   // x, z
        let xs = normed.map { inputs[0]($0) }
        let conv = xs.causalConv1d(weight: convWeight, bias: convBias ?? .zeros([di])).silu()
        let rows = input.rows
        // x_proj's output [Δ_r | B | C] goes to the scan whole: it reads B and C in place and
        // applies dt_proj itself. At the answer rows only, C and the gate z are needed (and
        // computed) there alone.
        let xW = rows == nil ? [xProj.weight] : xProj.weight.split([r + n, n], axis: 0)
        let y = Tensor.selectiveScan(u: conv, projected: conv.linear(xW[0]), dtWeight: dtProj.weight,
                                     deltaBias: dtProj.bias!, aLog: aLog,
                                     C: rows.map { conv.tokenRows($0).linear(xW[1]) }, D: D,
                                     z: normed.map(at: rows) { inputs[1]($0) }, at: rows)
        let residual = rows.map { input.x.tokenRows($0) } ?? input.x
        return residual + outProj(y)
    }

    public func flops(sequence: Int, refined r: BlockRefinement) -> FLOPCount {
        let H = Double(norm.weight.count), Di = Double(innerSize), N = Double(stateSize), R = Double(dtRank)
        let K = Double(convWeight.shape[2])
        var f = FLOPCount()
        f.tokenwise(2 * H * Di, reachesAnswer: false, r)                        // in_proj, x half
        f.tokenwise(2 * H * Di, reachesAnswer: true, r)                         // in_proj, gate z
        f.perToken += 2 * Di * (R + N) + 2 * R * Di + 2 * K * Di + 4 * Di * N    // x_proj Δ,B; dt_proj; conv; the scan's h
        f.afterMixing(2 * Di * N + 2 * Di * N + 2 * Di * H, r)                   // C, ⟨C, h⟩, out_proj
        return f
    }
}

/// U(±1/√fan_in): kaiming_uniform_(a=√5) as PyTorch initialises conv and Linear weights.
func kaimingUniform(_ shape: [Int], fanIn: Int, generator g: inout RandomGenerator) -> Tensor {
    let bound = 1 / Float(fanIn).squareRoot()
    return Tensor.randomUniform(shape, low: -bound, high: bound, generator: &g)
}

/// softplus⁻¹(dt) with dt log-uniform in [min, max], floored: the Δ bias that makes the initial
/// step sizes span that range (Mamba's and Mamba-2's dt initialisation).
func inverseSoftplusTimeSteps(_ count: Int, min: Double, max: Double, floor: Double,
                              generator g: inout RandomGenerator) -> Tensor {
    let (lo, hi) = (Foundation.log(min), Foundation.log(max))
    let values = (0..<count).map { _ -> Float in
        let dt = Swift.max(Foundation.exp(Double(g.nextFloat()) * (hi - lo) + lo), floor)
        return Float(dt + Foundation.log(-Foundation.expm1(-dt)))
    }
    return Tensor(values, shape: [count])
}

/// A Mamba mixer's out_proj: kaiming-uniform, zero bias, and with the prenorm-residual rule
/// (GPT-2's) scaled by 1/√layers.
func outProjection(hidden: Int, inner: Int, bias: Bool, rescaleOverLayers layers: Int?, generator g: inout RandomGenerator) -> Linear {
    let out = kaimingUniform([hidden, inner], fanIn: inner, generator: &g)
    if let layers {
        let s = 1 / Float(layers).squareRoot()
        for i in 0..<out.count { out.data[i] *= s }
    }
    return Linear(weight: out, bias: bias ? .zeros([hidden]) : nil)
}
