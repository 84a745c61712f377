package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the infrastructure file's {@code [rollout]} table: {@code waves} and {@code pause}. Called once the
 * targets are read, so that the waves' target names are checked against them.
 */
final class RolloutReader {
    static final String TABLE = "rollout";
    private static final Set<String> KEYS = Set.of("waves", "pause", "confirm-timeout");

    private final ModelDraft draft;
    private final ValueReader values;

    RolloutReader(ModelDraft draft, ValueReader values) {
        this.draft = draft;
        this.values = values;
    }

    void read(Node root) {
        root.get(TABLE).flatMap(values::table).ifPresent(table -> {
            values.checkKeys(table, KEYS, "the rollout table");
            List<Rollout.Wave> waves = new ArrayList<>();
            List<Node> nodes = new ArrayList<>();
            boolean valid = true;
            Optional<Node> wavesNode = table.get("waves").flatMap(values::array);
            for (Node element : wavesNode.map(Node::elements).orElse(List.of())) {
                Optional<Rollout.Wave> wave = wave(element);
                valid &= wave.isPresent();
                wave.ifPresent(w -> {
                    waves.add(w);
                    nodes.add(element);
                });
            }
            if (wavesNode.isPresent() && wavesNode.get().elements().isEmpty()) {
                draft.diagnostics.error(wavesNode.get().where(), "waves is empty; " + Rollout.WAVE_SYNTAX
                        + ", such as waves = [[\"web1\"], \"25%\", \"rest\"]; or leave [rollout] out to deploy every target at once");
                valid = false;
            }
            List<Optional<String>> problems = Rollout.problems(waves, draft.declaredTargets);
            for (int i = 0; i < problems.size(); i++) {
                Node at = nodes.get(i);
                problems.get(i).ifPresent(problem -> draft.diagnostics.error(at.where(), problem));
                valid &= problems.get(i).isEmpty();
            }
            Duration pause = table.get("pause").flatMap(node -> values.string(node).flatMap(text -> {
                try {
                    return Optional.of(Durations.parse(text));
                } catch (IllegalArgumentException e) {
                    draft.diagnostics.error(node.where(), "pause " + e.getMessage());
                    return Optional.empty();
                }
            })).orElse(Rollout.DEFAULT_PAUSE);
            Duration confirmTimeout = table.get("confirm-timeout").flatMap(node -> values.string(node).flatMap(text -> {
                try {
                    Duration parsed = Durations.parse(text);
                    if (parsed.isZero()) {
                        draft.diagnostics.error(node.where(), "confirm-timeout must be more than 0, such as \"30s\"");
                        return Optional.empty();
                    }
                    return Optional.of(parsed);
                } catch (IllegalArgumentException e) {
                    draft.diagnostics.error(node.where(), "confirm-timeout " + e.getMessage());
                    return Optional.empty();
                }
            })).orElse(Rollout.DEFAULT_CONFIRM_TIMEOUT);
            if (valid) {
                draft.rollout = new Rollout(waves, pause, confirmTimeout);
            }
        });
    }

    private Optional<Rollout.Wave> wave(Node element) {
        if (element.json().isArray()) {
            List<String> names = new ArrayList<>();
            for (Node name : element.elements()) {
                Optional<String> text = values.string(name);
                if (text.isEmpty()) {
                    return Optional.empty();
                }
                names.add(text.get());
            }
            return Optional.of(new Rollout.Wave.Targets(names));
        }
        if (element.json().isTextual()) {
            String text = element.json().asText();
            try {
                Rollout.Wave wave = Rollout.parseWave(text);
                if (wave instanceof Rollout.Wave.Targets) {
                    draft.diagnostics.error(element.where(), "wave " + Messages.quote(text) + " is neither \"rest\" nor a share such as"
                            + " \"25%\"; write target names as a list: [\"" + text.strip() + "\"]");
                    return Optional.empty();
                }
                return Optional.of(wave);
            } catch (IllegalArgumentException e) {
                draft.diagnostics.error(element.where(), e.getMessage());
                return Optional.empty();
            }
        }
        draft.diagnostics.error(element.where(), "wave " + ((int) element.path().get(element.path().size() - 1) + 1) + " is "
                + element.typeName() + "; " + Rollout.WAVE_SYNTAX);
        return Optional.empty();
    }
}
