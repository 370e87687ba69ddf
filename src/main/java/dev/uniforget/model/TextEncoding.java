package dev.uniforget.model;

import ai.djl.ndarray.NDArray;

/**
 * A batch of encoded prompts, ready for the flow transformer: context tokens (B, L, D) after
 * the {@code txt_in} projection, the additive attention bias of the joint sequence's keys
 * (B, 1, 1, P + L: 0 for the P image tokens and for words, a large negative for padding) and
 * the pooled vector (B, D) after {@code pooled_in}: the projection of the mean of the
 * non-padding token states (of a zero vector for the empty prompt, so it equals the bias).
 */
public record TextEncoding(NDArray states, NDArray keyBias, NDArray pooled) {}
