package dev.uniforget.cli;

import dev.uniforget.bench.Bench;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget bench}: training, sampling and mask-training speed, memory flatness, Java vs PyTorch 2.x and 1.13. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    header = "Speed and memory benchmarks (Java vs PyTorch 2.x and 1.13, sampling, forget).",
    description = {
      "Benchmark one model (the lab preset unless the architecture options say otherwise) on this",
      "machine, side by side in one run, 2 threads each: the training step, guided sampling",
      "(images/s) and one UniForget mask-training step (batch 16, backprop through the whole",
      "sampler) in Java and in the PyTorch reference on the same weights: PyTorch 2.x eager and",
      "torch.compile (the environment of scripts/torch2-venv.sh, what a user would run instead) and",
      "Debian's PyTorch 1.13, all drawing their prompts from the same captions. The Java model skips",
      "the work that cannot reach the velocity (text columns that are padding in every row, the text",
      "rows of the last block); PyTorch 2.x eager runs once as written and once with the same",
      "skipping (its velocity checked against the full one): the first is what a user would run",
      "instead, the second the two engines on the same work. The Java and PyTorch 2.x blocks",
      "alternate in --rounds rounds (this machine's speed drifts within minutes); each round gives",
      "its own ratios, reported as their median and range. Also: the model FLOP utilisation of the",
      "Java training step (the full 12-token sequence's FLOPs) against the libtorch matmul peak",
      "measured in the same round, the Java step's page faults (with and without the malloc",
      "settings of ./uniforget) and resident memory over --steps Java training steps.",
      "Run it on an otherwise idle machine: two libtorch processes on 2 cores slow each other 10x."
    })
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--steps", description = "Java training steps of the memory check, after the rounds (default: ${DEFAULT-VALUE}).")
  int steps = new Bench().steps;

  @Option(names = "--batch-size", description = "Training batch (default: ${DEFAULT-VALUE}).")
  int batch = new Bench().batch;

  @Option(names = "--python", description = "PyTorch 1.13 interpreter (the numerics reference; default: ${DEFAULT-VALUE}).")
  String python = new Bench().python;

  @Option(names = "--torch2", description = {"PyTorch 2.x interpreter (default: ${DEFAULT-VALUE}, made by",
      "scripts/torch2-venv.sh; relative paths are read from the project root)."})
  String torch2 = new Bench().torch2;

  @Option(names = "--no-compile", description = "Skip torch.compile (it compiles for a minute or more).")
  boolean noCompile;

  @Option(names = "--reference-steps", description = "Timed training steps per round, Java and PyTorch each (default: ${DEFAULT-VALUE}).")
  int referenceSteps = new Bench().referenceSteps;

  @Option(names = "--rounds", description = {"Rounds of Java then PyTorch 2.x back to back; the ratios are per round, reported as",
      "their median and range (default: ${DEFAULT-VALUE})."})
  int rounds = new Bench().rounds;

  @Option(names = "--sample-images", description = "Images per sampling repeat for images/s (default: ${DEFAULT-VALUE}).")
  int sampleImages = new Bench().sampleImages;

  @Option(names = "--mask-steps", description = "Timed mask-training steps (default: ${DEFAULT-VALUE}).")
  int maskSteps = new Bench().maskSteps;

  @Option(names = "--forget", description = "Instead: peak memory and step time of UniForget mask training at 4, 8 and 16 sampler steps (each in a fresh JVM).")
  boolean forget;

  @Option(names = "--sampling", arity = "2", paramLabel = "MODEL", description = {"Instead: sampling time of two model",
      "directories (an original and its pruned model) in one run, --sampling-repeats interleaved pairs after a",
      "warm-up each, at 64 and 256 images; medians, ranges and the FLOP prediction."})
  List<Path> sampling;

  @Option(names = "--sampling-repeats", description = "Interleaved pairs for --sampling (default: ${DEFAULT-VALUE}).")
  int samplingRepeats = new Bench().samplingRepeats;

  @Option(names = "--forget-probe", hidden = true, description = "Internal: one mask-training probe at this many sampler steps.")
  Integer forgetProbe;

  @picocli.CommandLine.Mixin TrainCommand.ArchitectureOptions arch = new TrainCommand.ArchitectureOptions();

  @Override
  public Integer call() throws Exception {
    if (forgetProbe != null) return Bench.forgetProbe(forgetProbe);
    Bench b = new Bench();
    if (forget) return b.forget();
    b.samplingRepeats = samplingRepeats;
    if (sampling != null) return b.sampling(sampling.get(0), sampling.get(1));
    b.steps = steps;
    b.batch = batch;
    b.python = python;
    b.torch2 = torch2;
    b.noCompile = noCompile;
    b.referenceSteps = referenceSteps;
    b.rounds = rounds;
    b.sampleImages = sampleImages;
    b.maskSteps = maskSteps;
    b.architecture = arch::toConfig;
    b.maxTokens = arch.maxTokens;
    return b.run();
  }
}
