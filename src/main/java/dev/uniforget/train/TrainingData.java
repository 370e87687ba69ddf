package dev.uniforget.train;

import dev.uniforget.data.ImageFolder;
import dev.uniforget.model.WordTokenizer;
import java.util.ArrayList;
import java.util.List;

/** Turns an image folder into a {@link TrainingSet} (pixels mapped from [0, 1] to [-1, 1]). */
public final class TrainingData {
  private TrainingData() {}

  public static List<String> captions(ImageFolder folder) {
    List<String> out = new ArrayList<>(folder.size());
    for (ImageFolder.Entry e : folder.entries()) out.add(e.text());
    return out;
  }

  public static TrainingSet from(ImageFolder folder, WordTokenizer tok) {
    int n = folder.size(), numel = folder.channels() * folder.imageSize() * folder.imageSize();
    float[] images = new float[n * numel];
    for (int i = 0; i < n; i++) {
      float[] px = folder.image(i);
      for (int j = 0; j < numel; j++) images[i * numel + j] = px[j] * 2f - 1f;
    }
    int l = tok.maxLength();
    long[] tokens = new long[n * l];
    for (int i = 0; i < n; i++) {
      int[] ids = tok.encode(folder.entry(i).text());
      for (int j = 0; j < l; j++) tokens[i * l + j] = ids[j];
    }
    return new TrainingSet(images, tokens, n, numel, l);
  }
}
