package dev.uniforget.audit.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DiversityTest {
  @Test
  void identicalImagesGiveZero() {
    float[] im = {0.1f, 0.5f, 0.9f};
    assertEquals(0, Diversity.meanPairwiseL2(List.of(im, im.clone(), im.clone())), 0);
  }

  @Test
  void knownDistances() {
    float[] a = {0, 0};
    float[] b = {3, 4};
    float[] c = {6, 8};
    assertEquals(5, Diversity.meanPairwiseL2(List.of(a, b)), 1e-12);
    assertEquals(20.0 / 3, Diversity.meanPairwiseL2(List.of(a, b, c)), 1e-12); // pairs 5, 10, 5
    assertEquals(20.0 / 3, Diversity.meanPairwiseL2(List.of(a, b, c), 3, 1), 1e-12); // all pairs fit: exact
  }

  @Test
  void sampledEstimateIsDeterministicAndClose() {
    Random r = new Random(4);
    List<float[]> images = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      float[] im = new float[64];
      for (int k = 0; k < im.length; k++) im[k] = r.nextFloat();
      images.add(im);
    }
    double exact = Diversity.meanPairwiseL2(images);
    double sampled = Diversity.meanPairwiseL2(images, 200, 17);
    assertEquals(sampled, Diversity.meanPairwiseL2(images, 200, 17), 0);
    assertEquals(exact, sampled, 0.05 * exact);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> Diversity.meanPairwiseL2(List.of(new float[3])));
    assertThrows(IllegalArgumentException.class, () -> Diversity.meanPairwiseL2(List.of(new float[3], new float[4])));
    assertThrows(IllegalArgumentException.class, () -> Diversity.meanPairwiseL2(List.of(new float[3], new float[3]), 0, 1));
  }
}
