package dev.uniforget.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code audit} measures ({@code metrics.json}; schema in README). */
public final class AuditMetrics {
  public static final String FORMAT = "uniforget-audit/2";

  public String format = FORMAT;
  public String model;
  public String lab;
  public String instruments;
  public int seedsPerPrompt;
  /** Held-out real images in the FID/KID reference and among the copy negatives. */
  public int realImages;
  /** One number per metric: the table a person reads first. */
  public Map<String, Double> headline = new LinkedHashMap<>();
  /** The 95% interval [lo, hi] of a headline number, where it has one (see {@link #intervalNote}). */
  public Map<String, double[]> intervals = new LinkedHashMap<>();
  /** How the intervals were computed. */
  public String intervalNote;
  public Calibration calibration = new Calibration();
  public List<TargetRow> targets = new ArrayList<>();
  public List<ConceptRow> concepts = new ArrayList<>();
  public List<NeutralRow> neutral = new ArrayList<>();
  public Map<String, Double> seconds = new LinkedHashMap<>();
  /** The inference-time mitigation every generation went through, its settings and cost (null: none). */
  public Map<String, Object> mitigation;

  /** How the copy threshold was set: on real images, never on generations. */
  public static final class Calibration {
    public double threshold;
    public double negativePercentile;
    public double negativeRate;
    public double positiveRecall;
    public boolean meetsRecall;
    public int negatives;
    public int positives;
    /** The pixel-ratio test: copy when d1/d2 is below this (the mirrored percentile of the negatives). */
    public double ratioThreshold;
    public double ratioNegativeRate;
    public double ratioRecall;
    /** Either test: the rule the copy counts use. */
    public double combinedNegativeRate;
    public double combinedRecall;
    public boolean combinedMeetsRecall;
    /** Recall of the combined rule per kind of change (noise, speckle, blur, shift; gamma, downscale, erase). */
    public Map<String, Double> recallByKind = new LinkedHashMap<>();
    /** Whether the positives are copies of training images the descriptor never saw (false: in-sample). */
    public boolean positivesUnseenByDescriptor;
    /** Distinct training images the positives were drawn from. */
    public int positiveSourceImages;
    /** Recall of the combined rule on changes of the families the descriptor trained on, and on the others. */
    public double recallSeenFamilies;
    public double recallUnseenFamilies;
    /**
     * The low-pass copy rule (a separate rule, not part of the one above): copy when d1/d2 on
     * 4x4-box low-passed, standardised images is below this, set the same way on the same negatives.
     */
    public double lowPassThreshold;
    public double lowPassNegativeRate;
    public double lowPassRecall;
    /** Recall of the low-pass rule per kind of change. */
    public Map<String, Double> lowPassRecallByKind = new LinkedHashMap<>();
  }

  /** One verbatim-target prompt over its seeds. */
  public static final class TargetRow {
    public String prompt;
    public int samples;
    /** Samples that are copies of the target's own image (either test). */
    public int copiesOfOwn;
    /** Of those, the ones the descriptor test alone finds. */
    public int descriptorCopiesOfOwn;
    public int copiesOfAny;
    /** Samples that are copies of the target's own image under the low-pass copy rule. */
    public int lowPassCopiesOfOwn;
    public int strictCopies;
    public int nearestIsOwn;
    public double meanCopyScore;
    public double meanSsim;
    public double meanRatio;
    public double diversity;
    public double seedCollapse;
    /** Seed collapse on 4x4-box low-passed images (per-seed pixel noise averaged down). */
    public double seedCollapseLowPass;
    public double magnitude;
    public boolean replicated;
  }

  /** One concept prompt. */
  public static final class ConceptRow {
    public String prompt;
    public String concept;
    public String className;
    public boolean seenInTraining;
    public double rate;
  }

  /** One neutral prompt. */
  public static final class NeutralRow {
    public String prompt;
    public double magnitude;
    public double diversity;
    public double alignment;
    public int copies;
    /** Samples that are copies of some training image under the low-pass copy rule. */
    public int lowPassCopies;
  }
}
