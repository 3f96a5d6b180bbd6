import TensorCore

/// Builds the model a configuration describes, initialised as transformers would.
public func makeModel(_ config: ModelConfig, generator: inout RandomGenerator) -> CausalLM {
    switch config {
    case .gptNeoX(let c): return .gptNeoX(c, generator: &generator)
    case .mamba(let c): return .mamba(c, generator: &generator)
    case .mamba2(let c): return .mamba2(c, generator: &generator)
    case .hybrid(let c): return .hybrid(c, generator: &generator)
    }
}
