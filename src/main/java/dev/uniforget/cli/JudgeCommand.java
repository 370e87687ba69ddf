package dev.uniforget.cli;

import ai.djl.ndarray.NDManager;
import dev.uniforget.audit.judge.CopyDescriptor;
import dev.uniforget.audit.judge.DescriptorTrainer;
import dev.uniforget.audit.judge.Judge;
import dev.uniforget.audit.judge.JudgeTrainer;
import dev.uniforget.data.FashionMnist;
import dev.uniforget.data.ImageFolder;
import dev.uniforget.io.AtomicFiles;
import dev.uniforget.io.Jsons;
import dev.uniforget.lab.LabManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget judge train}: the audit's instruments for one lab. */
@Command(name = "judge", mixinStandardHelpOptions = true, description = "The audit's judge and copy descriptor.",
    subcommands = {JudgeCommand.Train.class})
final class JudgeCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  static final String CLASSIFIER = "classifier";
  static final String DESCRIPTOR = "descriptor";

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = {
        "Train, for one lab, (1) the judge: a small CNN with a garment-class head and a motif head",
        "(trained with degraded negatives so it does not fire on a broken model's artefacts), whose",
        "penultimate features are the FID space; and (2) the copy descriptor: an embedding trained",
        "to recognise the same training image under noise, speckle, blur, shifts and contrast.",
        "Writes OUT/classifier and OUT/descriptor, and prints their held-out measurements."
      })
  static final class Train implements Callable<Integer> {
    @Option(names = "--lab", required = true, description = "The lab (image folder + manifest.json).")
    Path lab;

    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Option(names = "--fashion-mnist", description = "Folder of the gzipped IDX files (default: ${DEFAULT-VALUE}).")
    Path fashionMnist = FashionMnist.DEFAULT_DIR;

    @Option(names = "--judge-steps", description = "Judge training steps (default: ${DEFAULT-VALUE}).")
    int judgeSteps = new JudgeTrainer.Options().steps;

    @Option(names = "--descriptor-steps", description = "Descriptor training steps (default: ${DEFAULT-VALUE}).")
    int descriptorSteps = new DescriptorTrainer.Options().steps;

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Override
    public Integer call() throws Exception {
      train(lab, out, fashionMnist, judgeSteps, descriptorSteps, seed);
      return 0;
    }

    static void train(Path lab, Path out, Path fashionMnist, int judgeSteps, int descriptorSteps, long seed) throws Exception {
      if (java.nio.file.Files.exists(out)) throw new IllegalArgumentException("--out " + out + " already exists");
      LabManifest manifest = LabManifest.read(lab);
      FashionMnist.LabeledImages train = FashionMnist.load(fashionMnist, true);
      FashionMnist.LabeledImages test = FashionMnist.load(fashionMnist, false);
      ImageFolder folder = ImageFolder.load(lab, manifest.imageSize, manifest.channels);
      List<float[]> images = new ArrayList<>();
      for (int i = 0; i < folder.size(); i++) images.add(folder.image(i));
      JudgeTrainer.Options jo = new JudgeTrainer.Options();
      jo.steps = judgeSteps;
      jo.seed = seed;
      DescriptorTrainer.Options dop = new DescriptorTrainer.Options();
      dop.steps = descriptorSteps;
      dop.seed = seed;
      try (NDManager root = NDManager.newBaseManager()) {
        JudgeTrainer.Result j;
        try (ProgressBar pb = Progress.bar("judge", judgeSteps, "steps")) {
          j = JudgeTrainer.train(manifest, train, test, jo, root, pb::stepTo);
        }
        DescriptorTrainer.Result d;
        try (ProgressBar pb = Progress.bar("descriptor", descriptorSteps, "steps")) {
          d = DescriptorTrainer.train(images, dop, root, pb::stepTo);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("judge", j.metrics());
        summary.put("descriptor", d.metrics());
        AtomicFiles.writeDirectoryAtomically(out, false, tmp -> {
          j.judge().save(tmp.resolve(CLASSIFIER), false);
          d.descriptor().save(tmp.resolve(DESCRIPTOR), false);
          Jsons.MAPPER.writeValue(tmp.resolve("metrics.json").toFile(), summary);
        });
        System.out.println(Jsons.MAPPER.writeValueAsString(summary));
        System.out.println("judge and descriptor written to " + out);
        j.judge().close();
        d.descriptor().close();
      }
    }
  }

  static Judge loadJudge(Path dir, NDManager m) throws java.io.IOException {
    return Judge.load(dir.resolve(CLASSIFIER), m);
  }

  static CopyDescriptor loadDescriptor(Path dir, NDManager m) throws java.io.IOException {
    return CopyDescriptor.load(dir.resolve(DESCRIPTOR), m);
  }
}
