package dev.uniforget.cli;

import dev.uniforget.compare.Compare;
import dev.uniforget.lab.Lab;
import dev.uniforget.unlearn.ConceptAblation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code uniforget compare}: the field on one bench. */
@Command(name = "compare", mixinStandardHelpOptions = true,
    header = "Run the chosen methods on one model and lab, audit each the same way, one table.",
    description = {
      "The field on one bench. UniForget is told the neutral prompts only; ConceptPrune and NeMo are",
      "told the memorized prompts (--memorized, default LAB/prompts/target.txt); Concept Ablation",
      "target/anchor pairs (--ablate-pairs); Wen's mitigation a magnitude target (the neutral",
      "prompts' mean). Methods: original, uniforget, random, magnitude (the controls at the",
      "uniforget mask's unit counts), conceptprune, nemo, wen, ablate, ablate+uniforget,",
      "uniforget+ablate. Writes OUT/METHOD/{edit,audit} and OUT/table/compare.{md,json,html};",
      "with --attack also OUT/METHOD/attack (`uniforget attack` on that method's model; for wen with",
      "the mitigation on every generation) and the \"under attack\" columns. Re-running reuses a part",
      "only when its recorded inputs, options and code match."
    })
final class CompareCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "The model.")
  Path model;

  @Option(names = "--lab", required = true, description = "The lab (for the audits; and its prompt files as defaults).")
  Path lab;

  @Option(names = "--judge", required = true, description = "Output of `uniforget judge train` for the lab.")
  Path judge;

  @Option(names = "--out", required = true, description = "Output directory (created; parts already there are reused when they match).")
  Path out;

  @Option(names = "--methods", split = ",", description = "Methods (default: original,uniforget,random,magnitude,conceptprune,nemo,wen).")
  List<String> methods = List.of("original", "uniforget", "random", "magnitude", "conceptprune", "nemo", "wen");

  @Option(names = "--neutral", description = "Neutral prompts (default: LAB/prompts/neutral.txt).")
  Path neutral;

  @Option(names = "--memorized", description = "Memorized prompts told to ConceptPrune and NeMo (default: LAB/prompts/target.txt).")
  Path memorized;

  @Option(names = "--ablate-pairs", description = "Lines 'target prompt<TAB>anchor prompt' for the ablating methods.")
  Path pairs;

  @Option(names = "--beta", description = "UniForget's beta (default: ${DEFAULT-VALUE}).")
  double beta = 0.1;

  @Option(names = "--forget-steps", description = "Mask training steps (default: ${DEFAULT-VALUE}).")
  int forgetSteps = new dev.uniforget.forget.ForgetConfig().steps;

  @Option(names = "--forget-batch-size", description = "Mask training batch (default: ${DEFAULT-VALUE}).")
  int forgetBatch = new dev.uniforget.forget.ForgetConfig().batchSize;

  @Option(names = "--seeds-per-prompt", description = "Noises per neutral prompt in the forget pool (default: ${DEFAULT-VALUE}).")
  int seedsPerPrompt = new dev.uniforget.forget.ForgetConfig().seedsPerPrompt;

  @Option(names = "--timing-images", description = "Images sampled to time a pruned model (default: ${DEFAULT-VALUE}).")
  int timingImages = 64;

  @Option(names = "--share", description = "ConceptPrune's share per fc2 row and step (default: ${DEFAULT-VALUE}).")
  double share = new dev.uniforget.baselines.ConceptPrune.Options().share;

  @Option(names = "--detector-seeds", description = "NeMo's noises per detector score (default: ${DEFAULT-VALUE}).")
  int detectorSeeds = new dev.uniforget.baselines.NeMo.Options().detectorSeeds;

  @Option(names = "--ablate-steps", description = "Concept Ablation steps (default: ${DEFAULT-VALUE}).")
  int ablateSteps = new ConceptAblation.Options().steps;

  @Option(names = "--ablate-lr", description = "Concept Ablation learning rate (default: ${DEFAULT-VALUE}).")
  float ablateLr = new ConceptAblation.Options().learningRate;

  @Option(names = "--anchor-images", description = "Concept Ablation images per anchor (default: ${DEFAULT-VALUE}).")
  int anchorImages = new ConceptAblation.Options().anchorImages;

  @Option(names = "--seeds", description = "Audit seeds per prompt (default: ${DEFAULT-VALUE}).")
  int seeds = 8;

  @Option(names = "--fid-images", description = "Audit FID/KID generations (default: ${DEFAULT-VALUE}).")
  int fidImages = 1000;

  @Option(names = "--resamples", description = "Audit bootstrap resamples (default: ${DEFAULT-VALUE}).")
  int resamples = 1000;

  @Option(names = "--scaling", split = ",", description = {"Prompt counts k: ConceptPrune, NeMo and Concept Ablation again, told only the first k",
      "memorized prompts (pairs), each audited (OUT/scaling/METHOD_k): forgetting and quality against the count (default: none)."})
  List<Integer> scaling = List.of();

  @Option(names = "--attack", description = "Also run `uniforget attack` on every method's model: the \"under attack\" columns.")
  boolean attack;

  @Option(names = "--attack-steps", description = "Embedding-attack steps (default: ${DEFAULT-VALUE}).")
  int attackSteps = new dev.uniforget.attack.EmbeddingAttack.Options().steps;

  @Option(names = "--attack-snapshots", split = ",", description = "Steps at which the attack is scored (default: 0,10,25,50).")
  List<Integer> attackSnapshots = new dev.uniforget.attack.EmbeddingAttack.Options().snapshots;

  @Option(names = "--attack-seeds", description = "Samples per learned embedding (default: ${DEFAULT-VALUE}).")
  int attackSeeds = new dev.uniforget.attack.AttackRun.Options().seeds;

  @Option(names = "--attack-never-seen", description = "Never-seen images of the attack's calibration (default: ${DEFAULT-VALUE}).")
  int attackNeverSeen = new dev.uniforget.attack.AttackRun.Options().neverSeen;

  @Option(names = "--attack-concept-images", description = "Held-out images per concept for the concept attack (default: ${DEFAULT-VALUE}).")
  int attackConceptImages = new dev.uniforget.attack.AttackRun.Options().conceptImages;

  @Override
  public Integer call() throws Exception {
    Compare.Request r = new Compare.Request();
    r.model = model;
    r.lab = lab;
    r.instruments = judge;
    r.out = out;
    r.methods = new ArrayList<>();
    for (String m : methods) r.methods.add(Compare.Method.parse(m.strip()));
    r.neutralPrompts = SampleCommand.readPrompts(neutral != null ? neutral : lab.resolve(Lab.NEUTRAL_PROMPTS));
    Path mem = memorized != null ? memorized : lab.resolve(Lab.TARGET_PROMPTS);
    if (Files.isRegularFile(mem)) r.memorizedPrompts = SampleCommand.readPrompts(mem);
    if (pairs != null) r.pairs = ConceptAblation.readPairs(pairs);
    r.forget.config.beta = beta;
    r.forget.config.steps = forgetSteps;
    r.forget.config.batchSize = forgetBatch;
    r.forget.config.seedsPerPrompt = seedsPerPrompt;
    r.forget.timingImages = timingImages;
    r.conceptPrune.share = share;
    r.nemo.detectorSeeds = detectorSeeds;
    r.ablate.steps = ablateSteps;
    r.ablate.learningRate = ablateLr;
    r.ablate.anchorImages = anchorImages;
    r.audit.seeds = seeds;
    r.audit.fidImages = fidImages;
    r.audit.resamples = resamples;
    for (Integer k : scaling) if (k == null || k < 1) throw new IllegalArgumentException("--scaling: expected counts >= 1, found " + scaling);
    r.scaling = scaling;
    if (attack) {
      r.attack = new dev.uniforget.attack.AttackRun.Options();
      r.attack.attack.steps = attackSteps;
      r.attack.attack.snapshots = attackSnapshots;
      r.attack.seeds = attackSeeds;
      r.attack.neverSeen = attackNeverSeen;
      r.attack.conceptImages = attackConceptImages;
      r.attack.resamples = resamples;
      r.attack.validate();
    }
    try (Progress.Bars bars = Progress.bars()) {
      Compare.run(r, bars, System.err::println);
    }
    System.out.print(Files.readString(out.resolve("table").resolve("compare.md")));
    return 0;
  }
}
