import Foundation
import HDF5
import Models
import SystemIO
import TensorCore

/// ScanLab's HDF5 checkpoint, readable by h5dump and h5py:
///   /            attributes format = "scanlab.checkpoint", version = 1, config = config.json text
///   /params/KEY  float32, one dataset per transformers state_dict key with transformers' shape;
///                tied weights appear under every key transformers lists
///   /optimizer   (training) attributes step, beta1, beta2, eps, weight_decay; m/KEY, v/KEY
///   /rng         (training) uint64 generator states by name
///   /trainer     (training) integer attributes (step, data cursor, …); string attributes
///                run_config (the run's configuration as JSON) and run_config_hash
///                (FNV-1a of that text), the record of what was trained
///   /metrics     (training) float64 datasets by name
/// Unknown groups and attributes are ignored on load.
public enum Checkpoint {
    public static let format = "scanlab.checkpoint"
    public static let version = 1

    /// Keys older transformers versions used, read as today's names (transformers renames them too).
    static let legacyNames = ["embed_out.weight": "lm_head.weight"]

    /// Buffers older transformers checkpoints carry that are not parameters.
    static let ignorableSuffixes = [".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq"]

    /// Everything a training checkpoint adds to the parameters.
    public struct TrainingState {
        public var optimizer: AdamW?
        public var generators: [String: [UInt64]] = [:]
        public var trainer: TrainerCursor?
        public var metrics: [String: (values: [Double], shape: [Int])] = [:]
        /// The configuration this state was trained under, as the trainer wrote it (JSON).
        public var runConfiguration: String?
        public init(optimizer: AdamW? = nil) { self.optimizer = optimizer }
    }

    /// Writes atomically (AtomicFile): a reader sees the previous checkpoint or this one whole.
    public static func save(_ model: CausalLM, to path: String, training: TrainingState? = nil) throws {
        try HDF5File.writeAtomically(path) { f in
            try f.setAttribute("format", format)
            try f.setAttribute("version", version)
            try f.setAttribute("config", model.config.json)
            try f.createGroups("params")
            for (key, t) in model.parameters.all { try f.write("params/" + key, t) }
            for (alias, primary) in model.parameters.aliases { try f.write("params/" + alias, model.parameters[primary]) }
            if let training { try write(training, to: f) }
        }
    }

    private static func write(_ s: TrainingState, to f: HDF5File) throws {
        if let opt = s.optimizer {
            try f.createGroups("optimizer")
            try f.setAttribute("step", opt.step, on: "optimizer")
            try f.setAttribute("beta1", opt.hyper.beta1, on: "optimizer")
            try f.setAttribute("beta2", opt.hyper.beta2, on: "optimizer")
            try f.setAttribute("eps", opt.hyper.eps, on: "optimizer")
            try f.setAttribute("weight_decay", opt.hyper.weightDecay, on: "optimizer")
            for (key, t) in opt.m { try f.write("optimizer/m/" + key, t) }
            for (key, t) in opt.v { try f.write("optimizer/v/" + key, t) }
        }
        if !s.generators.isEmpty {
            try f.createGroups("rng")
            for (name, state) in s.generators { try f.write("rng/" + name, uint64s: state) }
        }
        try f.createGroups("trainer")
        for (name, value) in s.trainer?.attributes ?? [] { try f.setAttribute(name, value, on: "trainer") }
        if let text = s.runConfiguration {
            try f.setAttribute("run_config", text, on: "trainer")
            try f.setAttribute("run_config_hash", ContentHash.fnv1a(text), on: "trainer")
        }
        if !s.metrics.isEmpty {
            try f.createGroups("metrics")
            for (name, m) in s.metrics { try f.write("metrics/" + name, doubles: m.values, shape: m.shape) }
        }
    }

    /// Reads and validates a checkpoint's header; returns its configuration.
    public static func readConfig(_ path: String) throws -> ModelConfig {
        let f = try HDF5File(path, mode: .read)
        return try readConfig(f)
    }

    static func readConfig(_ f: HDF5File) throws -> ModelConfig {
        let fmt = (try? f.stringAttribute("format")) ?? "(none)"
        guard fmt == format else { throw HDF5Error("\(f.path): attribute format is \"\(fmt)\", not \"\(format)\"") }
        let v = try f.intAttribute("version")
        guard v == version else { throw HDF5Error("\(f.path): checkpoint version \(v) is not supported (this ScanLab reads version \(version))") }
        do { return try ModelConfig(json: try f.stringAttribute("config")) } catch let e as ConfigError {
            throw HDF5Error("\(f.path): attribute config: \(e)")
        }
    }

    /// Builds the model a checkpoint describes and loads its parameters.
    public static func loadModel(_ path: String) throws -> CausalLM {
        let f = try HDF5File(path, mode: .read)
        let config = try readConfig(f)
        var g = RandomGenerator(seed: 0)
        let model = withNoGrad { makeModel(config, generator: &g) }
        try loadParameters(into: model, from: f)
        return model
    }

    /// Loads every parameter after checking the file has exactly the model's keys and shapes
    /// and that every value is finite; all problems are reported together, and the model is
    /// untouched unless all pass.
    public static func loadParameters(into model: CausalLM, from f: HDF5File) throws {
        guard try f.exists("params") else { throw HDF5Error("\(f.path): group params is missing") }
        let stored = try listDatasets(f, under: "params")
        // today's key → the dataset that holds it
        var source: [String: String] = [:]
        for name in stored { source[name] = name }
        for (old, new) in legacyNames where source[old] != nil && source[new] == nil {
            source[new] = old; source[old] = nil
        }
        let present = Set(source.keys)
        let expected = Set(model.parameters.allKeys)
        var problems: [String] = []
        let missing = expected.subtracting(present).sorted()
        let extra = Set(present).subtracting(expected).filter { k in !ignorableSuffixes.contains { k.hasSuffix($0) } }.sorted()
        if !missing.isEmpty { problems.append("missing: " + missing.joined(separator: ", ")) }
        if !extra.isEmpty { problems.append("unexpected: " + extra.joined(separator: ", ")) }
        var loaded: [String: Tensor] = [:]
        for key in model.parameters.allKeys where present.contains(key) {
            let want = model.parameters[key].shape
            let dataset = "params/" + source[key]!
            let info = try f.datasetInfo(dataset)
            guard info.shape == want else { problems.append("\(key) has shape \(info.shape), expected \(want)"); continue }
            guard info.isFloat else { problems.append("\(key) is not floating point"); continue }
            let t = try f.readTensor(dataset)
            if let bad = t.firstNonFinite { problems.append("\(key) holds \(bad.value) at flat index \(bad.index)"); continue }
            loaded[key] = t
        }
        for (alias, primary) in model.parameters.aliases {
            if let a = loaded[alias], let p = loaded[primary], a.values != p.values {
                problems.append("tied weights \(alias) and \(primary) differ")
            }
        }
        guard problems.isEmpty else {
            throw HDF5Error("\(f.path): parameters do not fit the \(model.config.modelType) model: " + problems.joined(separator: "; "))
        }
        for (key, t) in model.parameters.all { t.data.update(from: loaded[key]!.data, count: t.count) }
    }

    /// Dataset paths below a group, relative to it ("gpt_neox.layers.0.attention…" keys contain
    /// dots, not slashes, so one level is the norm; deeper levels are joined with "/").
    static func listDatasets(_ f: HDF5File, under group: String) throws -> [String] {
        var out: [String] = []
        for name in try f.children(group) {
            let full = group + "/" + name
            if (try? f.datasetInfo(full)) != nil { out.append(name) } else {
                out += try listDatasets(f, under: full).map { name + "/" + $0 }
            }
        }
        return out
    }

    /// Reads the training state saved beside the parameters; the optimizer is restored into `optimizer`.
    public static func loadTrainingState(_ path: String, model: CausalLM, optimizer: AdamW?) throws -> TrainingState {
        let f = try HDF5File(path, mode: .read)
        _ = try readConfig(f)
        try loadParameters(into: model, from: f)
        var s = TrainingState(optimizer: optimizer)
        if let optimizer {
            guard try f.exists("optimizer") else { throw HDF5Error("\(path): group optimizer is missing") }
            var m: [String: Tensor] = [:], v: [String: Tensor] = [:]
            for (key, _) in model.parameters.all {
                func moment(_ name: String) throws -> Tensor {
                    let t = try f.readTensor("optimizer/\(name)/" + key)
                    if let bad = t.firstNonFinite {
                        throw HDF5Error("\(path): optimizer/\(name)/\(key) holds \(bad.value) at flat index \(bad.index)")
                    }
                    return t
                }
                m[key] = try moment("m")
                v[key] = try moment("v")
            }
            do { try optimizer.restore(step: try f.intAttribute("step", on: "optimizer"), m: m, v: v) } catch let e as ShapeError {
                throw HDF5Error("\(path): \(e)")
            }
        }
        if try f.exists("rng") {
            for name in try f.children("rng") { s.generators[name] = try f.readUInt64s("rng/" + name) }
        }
        if try f.exists("trainer") {
            var stored: [String: Int] = [:]
            for (name, _) in TrainerCursor().attributes where try f.hasAttribute(name, on: "trainer") {
                stored[name] = try f.intAttribute(name, on: "trainer")
            }
            if !stored.isEmpty { s.trainer = TrainerCursor(attributes: stored) }
        }
        if try f.hasAttribute("run_config", on: "trainer") {
            s.runConfiguration = try f.stringAttribute("run_config", on: "trainer")
        }
        if try f.exists("metrics") {
            for name in try f.children("metrics") {
                let d = try f.readDoubles("metrics/" + name)
                s.metrics[name] = (d.values, d.shape)
            }
        }
        return s
    }
}
