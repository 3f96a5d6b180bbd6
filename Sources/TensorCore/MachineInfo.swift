import CBLAS
import CVectorMath
import Foundation

/// What a run's numbers depend on besides its configuration: the CPU, the instruction set
/// ScanLab was built for, OpenBLAS and the thread count. Recorded with every run, because
/// floating-point results (and timings) differ between machine types.
public struct MachineInfo: Codable, Equatable, Sendable {
    /// /proc/cpuinfo's model name with its family and model numbers (the name alone, "AMD
    /// EPYC", does not tell Zen 3 from Zen 4 or 5).
    public var cpu: String
    /// The CPU's widest vector extension: "AVX-512", "AVX2" or "baseline".
    public var cpuISA: String
    /// The instruction set this build of ScanLab targets (Package.swift's -target-cpu).
    public var builtFor: String
    /// openblas_get_config(): version and build options.
    public var openBLAS: String
    /// openblas_get_corename(): the kernels OpenBLAS chose for this CPU.
    public var openBLASCore: String
    /// $OPENBLAS_CORETYPE as the environment set it, or "unset".
    public var openBLASCoreType: String
    public var threads: Int

    /// The machine facts of this process.
    public static var current: MachineInfo {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            info.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let cpu = "\(field("model name") ?? "unknown CPU") (family \(field("cpu family") ?? "?"), model \(field("model") ?? "?"))"
        let isa = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2" : "baseline"
        let built = ["baseline", "AVX2", "AVX-512"][Int(scanlab_built_isa_level())]
        let config = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
        return MachineInfo(cpu: cpu, cpuISA: isa, builtFor: built, openBLAS: config, openBLASCore: core,
                           openBLASCoreType: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset",
                           threads: Parallel.cores)
    }

    /// The machine type: what makes floating-point results differ (not the thread count,
    /// which must not).
    public var machineType: String { "\(cpu), \(cpuISA), built for \(builtFor), OpenBLAS core \(openBLASCore)" }

    /// Everything a speed figure depends on, in one line to print and store beside it: the
    /// machine type, OPENBLAS_CORETYPE (which picks OpenBLAS's kernels) and the thread count.
    public var benchmarkLine: String { "\(machineType), OPENBLAS_CORETYPE \(openBLASCoreType), \(threads) threads" }
}
