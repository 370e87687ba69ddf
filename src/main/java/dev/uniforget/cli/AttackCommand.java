package dev.uniforget.cli;

import dev.uniforget.attack.AttackRun;
import dev.uniforget.attack.EmbeddingAttack;
import dev.uniforget.stats.Interval;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget attack}: embedding attacks on a model, for copies and for concepts. */
@Command(name = "attack", mixinStandardHelpOptions = true,
    header = "Removed or hidden? Embedding attacks (Finding Dori) on a model, for copies and concepts.",
    description = {
      "With every weight frozen, optimises a conditioning with the model's own training loss on the",
      "images to bring back (Adam, --attack-lr, --attack-steps, --attack-batch-size noisy copies per",
      "image and step), then samples from it (--seeds) and scores with the audit's instruments:",
      "  copies      per verbatim target a whole conditioning, started from the target prompt, from",
      "              noise and from a neutral prompt of its class; replication (the audit's copy rule",
      "              and its low-pass copy rule),",
      "              nearest-is-own and seed collapse at each --snapshots step (step 0 from the prompt",
      "              is the prompt itself: the rate before the attack);",
      "  never-seen  the same on held-out images the model never saw (the calibration: an attack that",
      "              brings them back as fast measures the attack, not memory); per start the",
      "              separation: the ROC AUC of how close memorized vs never-seen images come back",
      "              (no threshold; 0.5 = no difference);",
      "  concepts    per protected concept a word vector learned by textual inversion on",
      "              --concept-images held-out images carrying it, put into the lab's concept prompts:",
      "              the concept rate on the classes the images showed and on new ones.",
      "Writes OUT/attack.json, OUT/attack.md, OUT/grids/*.png, OUT/provenance.json."
    })
final class AttackCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "The model to attack (any model directory: original, pruned, edited).")
  Path model;

  @Option(names = "--lab", required = true, description = "The lab (its targets, held-out images and concept prompts).")
  Path lab;

  @Option(names = "--judge", required = true, description = "Output of `uniforget judge train` for the lab.")
  Path judge;

  @Option(names = "--out", required = true, description = "Output directory (must not exist, or made by the same inputs and options: then reused).")
  Path out;

  @Option(names = "--attack-steps", description = "Optimisation steps (default: ${DEFAULT-VALUE}).")
  int steps = new EmbeddingAttack.Options().steps;

  @Option(names = "--attack-lr", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  float lr = new EmbeddingAttack.Options().learningRate;

  @Option(names = "--attack-batch-size", description = "Noisy copies of each image per step (default: ${DEFAULT-VALUE}).")
  int batch = new EmbeddingAttack.Options().batchSize;

  @Option(names = "--snapshots", split = ",", description = "Steps at which the learned embedding is sampled and scored (default: 0,10,25,50).")
  List<Integer> snapshots = new EmbeddingAttack.Options().snapshots;

  @Option(names = "--copy-inits", split = ",", description = "Starts of the copy attack: prompt, noise, neutral (default: all).")
  List<String> copyInits = AttackRun.COPY_INITS;

  @Option(names = "--concept-inits", split = ",", description = "Starts of the concept attack: word, noise, mean (default: all).")
  List<String> conceptInits = AttackRun.CONCEPT_INITS;

  @Option(names = "--seeds", description = "Samples per learned embedding and snapshot (default: ${DEFAULT-VALUE}).")
  int seeds = new AttackRun.Options().seeds;

  @Option(names = "--never-seen", description = "Never-seen held-out images for the calibration, 0 = none (default: ${DEFAULT-VALUE}).")
  int neverSeen = new AttackRun.Options().neverSeen;

  @Option(names = "--concept-images", description = "Held-out images per concept for its attack, 0 = none (default: ${DEFAULT-VALUE}).")
  int conceptImages = new AttackRun.Options().conceptImages;

  @Option(names = "--resamples", description = "Bootstrap resamples (default: ${DEFAULT-VALUE}).")
  int resamples = new AttackRun.Options().resamples;

  @Option(names = "--seed", description = "Seed of the attack's noise and t draws (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--wen-target", description = {"Attack the model under Wen et al.'s inference-time mitigation (on every generation,",
      "as `audit --wen-target`): a number, or 'neutral' (this model's mean over the lab's neutral prompts)."})
  String wenTarget;

  @Override
  public Integer call() throws Exception {
    AttackRun.Request r = new AttackRun.Request();
    r.model = model;
    r.lab = lab;
    r.instruments = judge;
    r.out = out;
    AttackRun.Options o = r.options;
    o.attack.steps = steps;
    o.attack.learningRate = lr;
    o.attack.batchSize = batch;
    o.attack.snapshots = snapshots;
    o.attack.seed = seed;
    o.copyInits = copyInits;
    o.conceptInits = conceptInits;
    o.seeds = seeds;
    o.neverSeen = neverSeen;
    o.conceptImages = conceptImages;
    o.resamples = resamples;
    if (wenTarget != null) {
      dev.uniforget.baselines.WenMitigation.Options d = new dev.uniforget.baselines.WenMitigation.Options();
      o.promptEdit = dev.uniforget.baselines.WenMitigation.fromOption(wenTarget, model, dev.uniforget.lab.Lab.open(lab).manifest().prompts.neutral,
          d.iterations, d.learningRate);
    }
    AttackRun.Report rep;
    try (Progress.Bars bars = Progress.bars()) {
      rep = AttackRun.reuseOrRun(r, bars);
    }
    System.out.print(AttackRun.table(rep));
    Object before = rep.headline.get("replication_before"), after = rep.headline.get("replication_after");
    if (before != null || after != null) {
      System.out.printf(Locale.ROOT, "copies: replication %s before, %s under attack (strongest start); never-seen images %s%n",
          show(before), show(after), show(rep.headline.get("never_seen_replication_after")));
    }
    System.out.println("attack in " + out);
    return 0;
  }

  private static String show(Object v) {
    if (v instanceof Interval i) return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", i.estimate(), i.lo(), i.hi());
    if (v instanceof java.util.Map<?, ?> m && m.get("estimate") instanceof Number n) {
      return String.format(Locale.ROOT, "%.3f [%s, %s]", n.doubleValue(), m.get("lo"), m.get("hi"));
    }
    return String.valueOf(v);
  }
}
