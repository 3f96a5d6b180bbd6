import Foundation
import Kernels
import TensorCore

/// transformers' MambaForCausalLM (Mamba v1): RMSNorm pre-norm residual blocks around the
/// mixer (in_proj → causal conv1d → SiLU → x_proj → dt_proj → selective scan gated by
/// SiLU(z) → out_proj), tied embeddings and output head. Sequence tensors are (B, L, D).
public final class MambaForCausalLM: CausalLM {
    public let settings: MambaConfig
    public let parameters = ParameterStore()
    public var config: ModelConfig { .mamba(settings) }

    /// Initialised as transformers (v5) does: embeddings, in_proj and x_proj ~ N(0, initializer_range);
    /// A_log = log(1…N) per channel and D = 1 (both without weight decay); dt_proj weight
    /// ~ U(±rank^−½·scale) (or constant); dt_proj bias = softplus⁻¹(dt) with dt log-uniform in
    /// [min, max], floored; conv1d and out_proj weights kaiming-uniform U(±1/√fan_in), conv and
    /// Linear biases 0; RMSNorm weights 1; optional prenorm-residual rescale of out_proj by 1/√layers.
    public init(_ c: MambaConfig, generator g: inout RandomGenerator) {
        settings = c
        do { try c.validate() } catch { fatalError("MambaForCausalLM: \(error)") }
        let (h, di, n, r, k) = (c.hiddenSize, c.intermediateSize, c.stateSize, c.timeStepRank, c.convKernel)
        let p = parameters
        func kaiming(_ shape: [Int], fanIn: Int) -> Tensor {
            let bound = 1 / Float(fanIn).squareRoot()
            return Tensor.randomUniform(shape, low: -bound, high: bound, generator: &g)
        }
        func normal(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, std: Float(c.initializerRange), generator: &g) }
        p.add("backbone.embeddings.weight", normal([c.vocabSize, h]))
        for l in 0..<c.numHiddenLayers {
            let pre = "backbone.layers.\(l)."
            p.add(pre + "norm.weight", .ones([h]), decay: false)
            p.add(pre + "mixer.in_proj.weight", normal([2 * di, h]))
            if c.useBias { p.add(pre + "mixer.in_proj.bias", .zeros([2 * di]), decay: false) }
            p.add(pre + "mixer.conv1d.weight", kaiming([di, 1, k], fanIn: k))
            if c.useConvBias { p.add(pre + "mixer.conv1d.bias", .zeros([di]), decay: false) }
            p.add(pre + "mixer.x_proj.weight", normal([r + 2 * n, di]))
            let dtStd = Float(Foundation.pow(Double(r), -0.5) * c.timeStepScale)
            p.add(pre + "mixer.dt_proj.weight", c.timeStepInitScheme == "constant"
                  ? .full([di, r], dtStd) : Tensor.randomUniform([di, r], low: -dtStd, high: dtStd, generator: &g))
            let (lo, hi) = (Foundation.log(c.timeStepMin), Foundation.log(c.timeStepMax))
            let invDt = (0..<di).map { _ -> Float in
                let dt = max(Foundation.exp(Double(g.nextFloat()) * (hi - lo) + lo), c.timeStepFloor)
                return Float(dt + Foundation.log(-Foundation.expm1(-dt)))
            }
            p.add(pre + "mixer.dt_proj.bias", Tensor(invDt, shape: [di]), decay: false)
            p.add(pre + "mixer.A_log", Tensor((0..<di * n).map { Float(Foundation.log(Double($0 % n + 1))) }, shape: [di, n]), decay: false)
            p.add(pre + "mixer.D", .ones([di]), decay: false)
            let out = kaiming([h, di], fanIn: di)
            if c.rescalePrenormResidual {
                let s = 1 / Float(c.numHiddenLayers).squareRoot()
                for i in 0..<out.count { out.data[i] *= s }
            }
            p.add(pre + "mixer.out_proj.weight", out)
            if c.useBias { p.add(pre + "mixer.out_proj.bias", .zeros([h]), decay: false) }
        }
        p.add("backbone.norm_f.weight", .ones([h]), decay: false)
        p.alias("lm_head.weight", to: "backbone.embeddings.weight")
    }

    /// (B, L, hidden), or (B, hidden) at `positions`: then the last layer computes the gate z,
    /// C, its scan's output and out_proj for those rows only (the recurrence still spans the prefix).
    /// With `tables`, the first layer's norm and in_proj run on the embedding table.
    public func hiddenStates(_ tokens: TokenBatch, at positions: [Int]?, vocabularyTables tables: Bool) -> Tensor {
        let c = settings, p = parameters
        let (di, n, r) = (c.intermediateSize, c.stateSize, c.timeStepRank)
        let (batch, length) = (tokens.batch, tokens.length)
        let rows = positions.map { tokens.rows(at: $0) }
        let embeddings = p["backbone.embeddings.weight"]
        var x = embeddings.embedding(tokens.ids, shape: [batch, length])
        for l in 0..<c.numHiddenLayers {
            let pre = "backbone.layers.\(l)."
            let m = pre + "mixer."
            let norm = { (t: Tensor) in t.rmsNorm(weight: p[pre + "norm.weight"], eps: Float(c.layerNormEpsilon)) }
            let normed = (l == 0 && tables ? TokenwiseInput.table(embeddings, tokens) : .rows(x, tokens)).transformed(norm)
            // in_proj and x_proj split their weights (small) rather than their outputs (large):
            // the same numbers as splitting the product, without copying activations.
            let inW = p[m + "in_proj.weight"].split([di, di], axis: 0)
            let inB = p.optional(m + "in_proj.bias")?.split([di, di], axis: 0)
            let xs = normed.map { $0.linear(inW[0], inB?[0]) }
            let conv = xs.causalConv1d(weight: p[m + "conv1d.weight"],
                                       bias: p.optional(m + "conv1d.bias") ?? .zeros([di])).silu()
            let answerOnly = l == c.numHiddenLayers - 1 ? rows : nil
            // x_proj's output [Δ_r | B | C] goes to the scan whole: it reads B and C in place and
            // applies dt_proj itself. In the pruned last layer the scan outputs at the answer rows
            // only, so C and the gate z are needed (and computed) there alone.
            let xW = answerOnly == nil ? [p[m + "x_proj.weight"]] : p[m + "x_proj.weight"].split([r + n, n], axis: 0)
            let y = Tensor.selectiveScan(u: conv, projected: conv.linear(xW[0]), dtWeight: p[m + "dt_proj.weight"],
                                         deltaBias: p[m + "dt_proj.bias"], aLog: p[m + "A_log"],
                                         C: answerOnly.map { conv.tokenRows($0).linear(xW[1]) }, D: p[m + "D"],
                                         z: normed.map(at: answerOnly) { $0.linear(inW[1], inB?[1]) }, at: answerOnly)
            if let answerOnly { x = x.tokenRows(answerOnly) }
            x = x + y.linear(p[m + "out_proj.weight"], p.optional(m + "out_proj.bias"))
        }
        return x
    }

    public func head(_ hidden: Tensor) -> Tensor {
        let p = parameters
        return hidden.rmsNorm(weight: p["backbone.norm_f.weight"], eps: Float(settings.layerNormEpsilon))
            .linear(p["backbone.embeddings.weight"])
    }
}
