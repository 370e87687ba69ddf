package dev.uniforget.model;

import ai.djl.ndarray.NDArray;

/**
 * A batch of encoded prompts: token states (B, L, D), the additive attention bias of the joint
 * sequence's keys (B, 1, 1, P + L: 0 for the P image tokens and for words, a large negative for
 * padding) and the pooled vector (B, D),
 * the mean of the non-padding token states (zero for the empty prompt).
 */
public record TextEncoding(NDArray states, NDArray keyBias, NDArray pooled) {}
