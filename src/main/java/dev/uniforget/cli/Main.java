package dev.uniforget.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code uniforget} command line. */
@Command(
    name = "uniforget",
    mixinStandardHelpOptions = true,
    version = "uniforget 0.1.0",
    description = {
      "Find and remove memorization in text-to-image flow models by pruning (UniForget), in Java.",
      "",
      "Pipeline: lab build -> train -> sample / audit -> forget -> audit again.",
      "A model is a directory: config.json + model.safetensors + tokenizer.json."
    },
    subcommands = {
      LabCommand.class,
      TrainCommand.class,
      SampleCommand.class,
      DemoCommand.class,
      JudgeCommand.class,
      AuditCommand.class,
      ForgetCommand.class,
      PruneRandomCommand.class,
      BaselineCommand.class,
      UnlearnCommand.class,
      SweepCommand.class,
      CompareCommand.class,
      AttackCommand.class,
      DefendCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.setProperty("ai.djl.offline", "true");
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setUsageHelpWidth(110) // the descriptions are written in lines of up to ~100 characters
        .setExecutionExceptionHandler((ex, cl, parsed) -> {
          // Expected failures (bad input, diverged training) get one clear line, not a stack trace.
          if (ex instanceof java.io.IOException || ex instanceof IllegalArgumentException
              || ex instanceof IllegalStateException || ex instanceof java.io.UncheckedIOException) {
            cl.getErr().println("error: " + ex.getMessage());
            return 2;
          }
          throw ex;
        });
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
