package dev.beckon.models;

import java.util.Collection;

/** Hints for a name that is not known: the near miss it was probably meant to be, or what there is. */
final class Suggestions {
    private Suggestions() {}

    /** A near miss as a hint: " (did you mean description?)". */
    static String didYouMean(String wrong, Collection<String> known) {
        String best = null;
        // Short words are all near each other; only suggest when the slip is small for the word's length.
        int bestDistance = Math.max(1, Math.min(3, wrong.length() / 3)) + 1;
        for (String candidate : known) {
            int distance = editDistance(wrong, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best == null ? "" : " (did you mean " + best + "?)";
    }

    /** "; its ports: http, admin", or " (it has none)". */
    static String knownOrNone(String what, Collection<String> known) {
        return known.isEmpty() ? " (it has none)" : "; " + what + ": " + String.join(", ", known);
    }

    /** Edits (insert, delete, substitute, swap two neighbours) from one word to the other. */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
