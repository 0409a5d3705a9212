namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// arm_smmu_write_entry (arm-smmu-v3.c): changes a live STE or CD to a target in steps the SMMU never
/// sees half-made, with a sync (CFGI_STE / CFGI_CD and CMD_SYNC) after each step that changed a qword.
/// arm_smmu_entry_qword_diff finds the qwords whose used bits must change once the bits the current
/// entry ignores are set to their new values: one such qword is a hitless update (unused bits, the
/// critical qword, then the rest); two or more a breaking one (V=0, qwords 1–7, then qword 0); none,
/// a plain write of the changed bits.
/// </summary>
internal static class EntryWriter
{
    public delegate void UsedFn(ReadOnlySpan<ulong> e, Span<ulong> used);
    public delegate void SafeFn(ReadOnlySpan<ulong> cur, ReadOnlySpan<ulong> target, Span<ulong> safe);

    /// <summary>What a write did: how many syncs it issued, and whether the SMMU could see a valid entry turn invalid (qword 0 zero at a sync) on the way.</summary>
    public readonly record struct Result(int Syncs, bool Broke)
    {
        public override string ToString() => Syncs == 0 ? "unchanged" : $"{Syncs} sync{(Syncs == 1 ? "" : "s")}{(Broke ? ", V=0 in between" : "")}";
    }

    /// <summary>Writes <paramref name="target"/> into <paramref name="entry"/>; <paramref name="sync"/> runs after each changing step.</summary>
    public static Result Write(ulong[] entry, ReadOnlySpan<ulong> target, UsedFn used, SafeFn? safeFn, Action sync)
    {
        int syncs = 0;
        bool wasValid = entry[0] != 0, broke = false;
        var counted = () =>
        {
            syncs++;
            if (wasValid && entry[0] == 0) broke = true;
            sync();
        };
        Diff(entry, target, used, safeFn, counted);
        return new Result(syncs, broke);
    }

    private static void Diff(ulong[] entry, ReadOnlySpan<ulong> target, UsedFn used, SafeFn? safeFn, Action sync)
    {
        Span<ulong> targetUsed = stackalloc ulong[8], curUsed = stackalloc ulong[8], safe = stackalloc ulong[8], unused = stackalloc ulong[8];
        used(entry, curUsed);
        used(target, targetUsed);
        safe.Clear();
        safeFn?.Invoke(entry, target, safe);
        int diff = 0;
        for (int i = 0; i < 8; i++)
        {
            safe[i] &= targetUsed[i] & curUsed[i];
            curUsed[i] &= ~safe[i];
            unused[i] = (entry[i] & curUsed[i]) | (target[i] & ~curUsed[i]);
            if ((unused[i] & targetUsed[i]) != target[i]) diff |= 1 << i;
        }
        if (System.Numerics.BitOperations.PopCount((uint)diff) == 1)
        {
            int critical = System.Numerics.BitOperations.TrailingZeroCount(diff);
            unused[critical] = entry[critical];
            Set(entry, unused, 0, 8, sync);
            Set(entry, target, critical, 1, sync);
            Set(entry, target, 0, 8, sync);
            return;
        }
        if (diff != 0)
        {
            unused[0] = 0;
            Set(entry, unused, 0, 1, sync);
            Set(entry, target, 1, 7, sync);
            Set(entry, target, 0, 1, sync);
            return;
        }
        Set(entry, target, 0, 8, sync);
    }

    /// <summary>entry_set: copy qwords [start, start + len) and sync if any changed.</summary>
    private static void Set(ulong[] entry, ReadOnlySpan<ulong> target, int start, int len, Action sync)
    {
        bool changed = false;
        for (int i = start; len != 0; len--, i++)
        {
            if (entry[i] == target[i]) continue;
            entry[i] = target[i];
            changed = true;
        }
        if (changed) sync();
    }
}
