package dev.uniforget.audit;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The foundation's copy check for verbatim targets: a sample is a copy when its nearest
 * training image (pixel L2, exact) is the target's own image AND their SSIM >= 0.6. The
 * strict test of Gu et al. (d1/d2 < 1/3) is reported beside it; it is fooled by speckle.
 */
public final class ReplicationCheck {
  public static final double SSIM_THRESHOLD = 0.6;
  public static final double STRICT_RATIO = 1.0 / 3.0;

  /** Per-target outcome over its samples. */
  public record TargetResult(String caption, int samples, int copies, int strictCopies, int nearestIsOwn, double meanSsim) {
    public boolean replicated(int minCopies) {
      return copies >= minCopies;
    }
  }

  private ReplicationCheck() {}

  /**
   * @param samples per target, its generated images in [0, 1]
   * @param targetImages per target, its training image in [0, 1]
   */
  public static List<TargetResult> run(
      NearestNeighbors index, List<String> captions, List<float[]> targetImages, List<List<float[]>> samples,
      int size, NDManager manager) {
    List<TargetResult> out = new ArrayList<>();
    for (int t = 0; t < captions.size(); t++) {
      int own = index.indexOf(targetImages.get(t));
      if (own < 0) throw new IllegalArgumentException("target image of '" + captions.get(t) + "' is not in the training set");
      NearestNeighbors.Match[] matches = index.search(samples.get(t), manager);
      int copies = 0, strict = 0, ownCount = 0;
      double ssimSum = 0;
      for (int i = 0; i < matches.length; i++) {
        double ssim = Ssim.of(samples.get(t).get(i), index.image(matches[i].nearest()), size);
        ssimSum += ssim;
        boolean isOwn = matches[i].nearest() == own;
        if (isOwn) ownCount++;
        if (isOwn && ssim >= SSIM_THRESHOLD) copies++;
        if (matches[i].ratio() < STRICT_RATIO) strict++;
      }
      out.add(new TargetResult(captions.get(t), matches.length, copies, strict, ownCount, ssimSum / matches.length));
    }
    return out;
  }
}
