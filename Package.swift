// swift-tools-version:5.10
import Foundation
import PackageDescription

/// Kernels use SIMD16<Float>; without a CPU target Swift emits baseline SSE2 code and the
/// vector math runs 2–4× slower. Builds target the CPU they are built on (read from
/// /proc/cpuinfo); SCANLAB_TARGET_CPU=<llvm cpu name> overrides, SCANLAB_TARGET_CPU=generic
/// builds portable binaries.
func detectedTargetCPU() -> String? {
    let env = ProcessInfo.processInfo.environment["SCANLAB_TARGET_CPU"]
    if let env { return env == "generic" ? nil : env }
    #if arch(x86_64) && os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    let amd = info.contains("AuthenticAMD")
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return amd ? "znver4" : "icelake-server" }
    if flags.isSuperset(of: ["avx2", "fma", "bmi2"]) { return amd ? "znver2" : "haswell" }
    #endif
    return nil
}

let cpuFlags: [SwiftSetting] = detectedTargetCPU().map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

// One module per capability; see README "Layout".
let package = Package(
    name: "ScanLab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "scanlab", targets: ["scanlab"]),
        .executable(name: "scanlab-worker", targets: ["scanlab-worker"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C bridges to system libraries (Debian: libopenblas-dev, libhdf5-dev, libreadline-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", pkgConfig: "readline",
                       providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Vector instructions Swift does not emit: one fused multiply-add for SIMD16 (Swift does not
        // contract a·b + c); with AVX-512, round-to-integer and scale-by-2ⁿ for the exponentials.
        .target(name: "CVectorMath"),

        // Linux calls Swift's Glibc module leaves out (the affinity mask, OFD locks) and the stop-signal handlers.
        .target(name: "CLinux"),

        // What ScanLab asks of the operating system: atomic file writes, whole-file checksums,
        // run-folder locks, stop signals, child processes (through swift-subprocess).
        .target(name: "SystemIO", dependencies: ["CLinux", "CZlib", .product(name: "Subprocess", package: "swift-subprocess")]),

        // Where ScanLab keeps what it makes: the data folder, run, study and figures folders.
        .target(name: "DataLayout"),

        // TensorBoard event files (scalars, text) in TFRecord framing; the protos' Swift code is
        // generated once (Scripts/generate-tensorboard-protos) and committed.
        .target(name: "TensorBoard", dependencies: ["SystemIO", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Protos"]),

        // The helper threads parallel loops run on: they spin briefly between loops, then sleep.
        .target(name: "CWorkerPool"),

        // Float32 tensors, reverse-mode autograd and the primitive ops.
        .target(name: "TensorCore", dependencies: ["CBLAS", "CVectorMath", "CLinux", "CWorkerPool"], swiftSettings: cpuFlags),

        // Fused CPU kernels: Mamba's selective scan, causal attention with NeoX rotary.
        .target(name: "Kernels", dependencies: ["TensorCore"], swiftSettings: cpuFlags),

        // Pythia (GPT-NeoX) and Mamba with transformers' names and semantics; AdamW and schedules.
        .target(name: "Models", dependencies: ["TensorCore", "Kernels", "CBLAS"], swiftSettings: cpuFlags),

        // HDF5 files through a small typed layer: groups, datasets (tensors among them), attributes, checksums.
        .target(name: "HDF5", dependencies: ["CHDF5", "SystemIO", "TensorCore"]),

        // Model and training checkpoints in transformers' parameter names, as HDF5 files.
        .target(name: "Checkpoints", dependencies: ["HDF5", "TensorCore", "Models", "SystemIO"], swiftSettings: cpuFlags),

        // The synthetic tasks: their generators, token layouts and stored example sets.
        .target(name: "Tasks", dependencies: ["TensorCore", "HDF5", "DataLayout"], swiftSettings: cpuFlags),
        // Training runs of a task, studies (grids of runs), presets, backends and summaries.
        .target(name: "Studies", dependencies: ["DataLayout", "HDF5", "TensorBoard", "Tasks", "TensorCore", "Models", "Checkpoints", "SystemIO"], swiftSettings: cpuFlags),

        // gnuplot-iostream (C++, header-only on Boost iostreams and filesystem; Debian:
        // libgnuplot-iostream-dev libboost-iostreams-dev libboost-filesystem-dev) behind a C interface.
        .target(name: "CGnuplotLive",
                linkerSettings: [.linkedLibrary("boost_iostreams"), .linkedLibrary("boost_filesystem"), .linkedLibrary("stdc++")]),

        // Figures through gnuplot: scripts and data beside every PNG and SVG; live plots in the terminal.
        .target(name: "Plotting", dependencies: ["DataLayout", "Studies", "Tasks", "SystemIO", "CGnuplotLive"]),

        // Notebooks: named cells and parameters, state in HDF5, one worker process per cell.
        .target(name: "NotebookRunner", dependencies: ["HDF5", "DataLayout", "SystemIO", "TensorCore"]),
        // The experiment scripts themselves (Notebooks/ at the root), compiled into the worker;
        // their registry (`allNotebooks`) is generated from the files at every build.
        .target(name: "Notebooks", dependencies: ["NotebookRunner", "DataLayout", "Studies", "Tasks", "Models", "Plotting", "TensorCore"],
                path: "Notebooks", plugins: ["NotebookRegistry"]),
        .executableTarget(name: "notebook-registry"),
        .plugin(name: "NotebookRegistry", capability: .buildTool(), dependencies: ["notebook-registry"]),
        .executableTarget(name: "scanlab-worker", dependencies: ["NotebookRunner", "Notebooks", "Studies"]),

        // `scanlab bench …`: throughput measurements, never run by tests.
        .target(name: "Benchmarks", dependencies: ["TensorCore", "Kernels", "Models", "Studies", "Tasks", "CBLAS", "SystemIO"], swiftSettings: cpuFlags),

        // libFuzzer target for the checkpoint reader (Scripts/fuzz-checkpoint); a normal build
        // replays inputs given on its command line.
        .executableTarget(name: "scanlab-fuzz", dependencies: ["Checkpoints", "HDF5", "Models", "TensorCore"]),

        .executableTarget(name: "scanlab", dependencies: [
            "TensorCore", "Kernels", "Models", "Checkpoints", "HDF5", "DataLayout", "Studies", "Tasks", "Plotting", "NotebookRunner", "Benchmarks",
            "SystemIO", "CReadline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Gradient checks and comparisons shared by the test targets.
        .target(name: "TestSupport", dependencies: ["TensorCore", "SystemIO"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TensorCore", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Kernels", "Checkpoints", "HDF5", "TensorCore", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "HDF5", "Models", "SystemIO", "TensorCore", "TestSupport"]),
        .testTarget(name: "TasksTests", dependencies: ["DataLayout", "Tasks", "HDF5", "TensorCore", "TestSupport"]),
        .testTarget(name: "StudiesTests", dependencies: ["DataLayout", "Studies", "Tasks", "Models", "Checkpoints", "TensorCore", "TestSupport"],
                    exclude: ["Fixtures", "transformers_logits.py", "tensorboard_scalars.py"]),
        .testTarget(name: "PlottingTests", dependencies: ["DataLayout", "Plotting", "Studies", "Tasks", "SystemIO", "TestSupport"]),
        .testTarget(name: "NotebookRunnerTests", dependencies: ["NotebookRunner", "SystemIO", "TestSupport"]),
        .testTarget(name: "TensorBoardTests", dependencies: ["TensorBoard", "TestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Models", "Tasks", "TensorCore"]),
        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO", "TestSupport"]),
        // The command line itself (Sources/scanlab), through the built executable.
        .testTarget(name: "ScanlabTests", dependencies: ["Checkpoints", "HDF5", "Models", "SystemIO", "TensorCore", "TestSupport"]),
        .testTarget(name: "BridgesTests", dependencies: ["CBLAS", "CHDF5", "CReadline"]),
    ],
    cxxLanguageStandard: .cxx17
)
