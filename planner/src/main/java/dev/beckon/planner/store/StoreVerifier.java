package dev.beckon.planner.store;

import dev.beckon.planner.generations.Generation;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.generations.GenerationsException;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.manifest.PackageDigest;
import dev.beckon.planner.plan.PlanningException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code beckon verify}: reads every byte of every package entry a kept generation uses on this machine's
 * stores and compares it with its name's hash, as {@code nix-store --verify --check-contents} does; with repair,
 * copies a damaged entry again from its source, when the source still has that very content.
 */
public final class StoreVerifier {
    private final Generations generations;

    public StoreVerifier(Generations generations) {
        this.generations = generations;
    }

    /** One package entry checked: whole, or what is wrong and whether it was repaired. */
    public record Checked(Path entry, List<Integer> generations, Optional<String> damage, Optional<String> repair) {
        public boolean isWhole() {
            return damage.isEmpty() || repair.filter(r -> r.equals("repaired")).isPresent();
        }
    }

    /** Every package entry of every kept generation, on targets of this machine, in path order. */
    public List<Checked> verify(boolean repair) throws PlanningException {
        SortedMap<Path, List<Integer>> users = new TreeMap<>();
        SortedMap<Path, String> sources = new TreeMap<>();
        List<Generation> kept;
        try {
            kept = generations.list();
        } catch (GenerationsException e) {
            throw new PlanningException(e.getMessage(), e);
        }
        for (Generation generation : kept) {
            Manifest manifest;
            String where = "generation " + generation.number() + " of profile " + generations.profile();
            try {
                manifest = ManifestJson.read(generations.manifest(generation.number()), where);
            } catch (IOException | GenerationsException e) {
                throw new PlanningException(e.getMessage() + " (in " + generations.directory() + "); its entries cannot be"
                        + " checked: `beckon gc` drops it once another generation is current", e);
            }
            try {
                StoreRoots.referenced(manifest, where); // refuses paths outside a store before any is read
            } catch (PlanningException e) {
                throw new PlanningException(e.getMessage() + " (in " + generations.directory() + ")", e);
            }
            for (ManifestEntry entry : manifest.entries()) {
                if (entry.packagePath().isEmpty() || !StoreRoots.onThisMachine(manifest, entry.target())) {
                    continue;
                }
                Path path = Path.of(entry.packagePath());
                users.computeIfAbsent(path, p -> new ArrayList<>()).add(generation.number());
                sources.putIfAbsent(path, entry.packageSource());
            }
        }
        List<Checked> checked = new ArrayList<>();
        for (var entry : users.entrySet()) {
            List<Integer> numbers = List.copyOf(new TreeSet<>(entry.getValue()));
            Optional<String> damage;
            try {
                damage = Store.damageReadingEveryByte(entry.getKey());
            } catch (IOException e) {
                damage = Optional.of("cannot be checked: " + e.getMessage());
            }
            Optional<String> repaired = damage.isPresent() && repair ? Optional.of(repair(entry.getKey(), sources.get(entry.getKey())))
                    : Optional.empty();
            checked.add(new Checked(entry.getKey(), numbers, damage, repaired));
        }
        return checked;
    }

    /** "repaired", or why not. */
    private static String repair(Path entry, String sourceName) {
        Path source = Path.of(sourceName);
        if (sourceName.isEmpty() || !Files.exists(source)) {
            return "not repaired: its source " + sourceName + " is gone";
        }
        try {
            String hash = PackageDigest.of(source);
            if (!entry.getFileName().toString().startsWith(hash + "-")) {
                return "not repaired: its source " + source + " has changed since (it hashes to " + hash.substring(0, 12) + "…)";
            }
            Store.put(source, entry);
            return Store.damageReadingEveryByte(entry).isEmpty() ? "repaired" : "not repaired: the new copy is damaged too";
        } catch (IOException e) {
            return "not repaired: " + e.getMessage();
        }
    }
}
