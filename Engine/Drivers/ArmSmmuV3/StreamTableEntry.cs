namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// The 64-byte STE (struct arm_smmu_ste, eight little-endian qwords) as arm-smmu-v3.c builds it: the
/// field layout of arm-smmu-v3.h (STRTAB_STE_*), the make functions for an abort, bypass and stage-1
/// (CD table) entry, and the bits the hardware reads in each (arm_smmu_get_ste_used) and may change
/// without a break (arm_smmu_get_ste_update_safe) — what arm_smmu_write_entry sequences by. Stage-2
/// and nested entries are not built here: the model has no stage-2 domains.
/// </summary>
internal static class StreamTableEntry
{
    public const ulong V = 1UL << 0;
    public const int CfgShift = 1;
    public const ulong CfgMask = 7UL << CfgShift;
    public const ulong CfgAbort = 0, CfgBypass = 4, CfgS1Trans = 5, CfgS2Trans = 6;
    public const ulong S1FmtMask = 3UL << 4;
    public const ulong S1CtxPtrMask = ((1UL << 52) - 1) & ~((1UL << 6) - 1); // GENMASK_ULL(51, 6)
    public const int S1CdMaxShift = 59;
    public const ulong S1CdMaxMask = 0x1fUL << S1CdMaxShift;

    public const ulong S1DssMask = 3UL;
    public const ulong S1DssTerminate = 0, S1DssBypass = 1, S1DssSsid0 = 2;
    public const ulong S1CirMask = 3UL << 2, S1CorMask = 3UL << 4, S1CshMask = 3UL << 6;
    public const ulong S1CacheWbra = 1, ShIsh = 3;
    public const ulong Mev = 1UL << 19;
    public const ulong S2Fwb = 1UL << 25;
    public const ulong S1Stalld = 1UL << 27;
    public const int EatsShift = 28;
    public const ulong EatsMask = 3UL << EatsShift;
    public const ulong EatsTrans = 1, EatsS1Chk = 2;
    public const int StrwShift = 30;
    public const ulong StrwMask = 3UL << StrwShift;
    public const ulong StrwNsEl1 = 0, StrwEl2 = 2;
    public const ulong ShcfgMask = 3UL << 44;

    public const ulong S2VmidMask = 0xffffUL;
    public const ulong VtcrMask = ((1UL << 51) - 1) & ~((1UL << 32) - 1); // GENMASK_ULL(50, 32)
    public const ulong S2Aa64 = 1UL << 51, S2Endi = 1UL << 52, S2Ptw = 1UL << 54, S2S = 1UL << 57, S2R = 1UL << 58;
    public const ulong S2TtbMask = ((1UL << 52) - 1) & ~((1UL << 4) - 1);

    public static ulong Cfg(ReadOnlySpan<ulong> e) => (e[0] & CfgMask) >> CfgShift;

    /// <summary>arm_smmu_make_abort_ste: V, Config = abort (also what arm_smmu_init_initial_stes fills every STE with).</summary>
    public static ulong[] Abort() => [V | (CfgAbort << CfgShift), 0, 0, 0, 0, 0, 0, 0];

    /// <summary>arm_smmu_make_bypass_ste: V, Config = bypass; SHCFG = incoming with IDR1.ATTR_TYPES_OVR (the SoC YAML has no key for it: always clear there).</summary>
    public static ulong[] Bypass(bool attrTypesOvr = false) => [V | (CfgBypass << CfgShift), attrTypesOvr ? 1UL << 44 : 0, 0, 0, 0, 0, 0, 0];

    /// <summary>
    /// arm_smmu_make_cdtable_ste: Config = S1 translate, S1Fmt linear, S1ContextPtr the CD table,
    /// S1CDMax = the master's ssid_bits (0: one CD), S1DSS as asked, S1CIR/S1COR write-back
    /// read-allocate, S1CSH inner shareable, S1STALLD when the SMMU stalls and the master does not,
    /// EATS TRANS when ATS is on (else 0), SHCFG incoming for S1DSS bypass with IDR1.ATTR_TYPES_OVR (the
    /// KUnit cases use it; the SoC YAML has no key for it), and the stream world: EL2 with E2H, else
    /// NS-EL1 with S2VMID 0.
    /// </summary>
    public static ulong[] CdTable(ulong cdTableDma, int s1CdMax, ulong s1dss, bool stalld, bool e2h, bool eatsTrans = false, bool attrTypesOvr = false)
    {
        var t = new ulong[8];
        t[0] = V | (CfgS1Trans << CfgShift) | (0UL << 4) | (cdTableDma & S1CtxPtrMask) | ((ulong)s1CdMax << S1CdMaxShift);
        t[1] = s1dss | (S1CacheWbra << 2) | (S1CacheWbra << 4) | (ShIsh << 6) | (stalld ? S1Stalld : 0)
               | ((e2h ? StrwEl2 : StrwNsEl1) << StrwShift) | (eatsTrans ? EatsTrans << EatsShift : 0);
        if (attrTypesOvr && s1dss == S1DssBypass) t[1] |= 1UL << 44;
        return t;
    }

    /// <summary>arm_smmu_get_ste_used: V; if valid, Config and the fields of the stages Config enables.</summary>
    public static void Used(ReadOnlySpan<ulong> e, Span<ulong> used)
    {
        used.Clear();
        used[0] = V;
        if ((e[0] & V) == 0) return;
        used[0] |= CfgMask;
        ulong cfg = Cfg(e);
        if ((cfg & 1) != 0)
        {
            used[0] |= S1FmtMask | S1CtxPtrMask | S1CdMaxMask;
            used[1] |= S1DssMask | S1CirMask | S1CorMask | S1CshMask | S1Stalld | StrwMask | EatsMask | Mev;
            used[2] |= S2VmidMask;
            if ((e[1] & S1DssMask) == S1DssBypass) used[1] |= ShcfgMask;
        }
        if ((cfg & 2) != 0)
        {
            used[1] |= S2Fwb | EatsMask | ShcfgMask | Mev;
            used[2] |= S2VmidMask | VtcrMask | S2Aa64 | S2Endi | S2Ptw | S2S | S2R;
            used[3] |= S2TtbMask;
        }
        if (cfg == CfgBypass) used[1] |= ShcfgMask;
    }

    /// <summary>arm_smmu_get_ste_update_safe: EATS_TRANS when neither side has EATS_S1CHK or S2S; MEV always.</summary>
    public static void UpdateSafe(ReadOnlySpan<ulong> cur, ReadOnlySpan<ulong> target, Span<ulong> safe)
    {
        safe.Clear();
        if (((cur[1] | target[1]) & (EatsS1Chk << EatsShift)) == 0 && ((cur[2] | target[2]) & S2S) == 0)
            safe[1] |= EatsTrans << EatsShift;
        safe[1] |= Mev;
    }

    /// <summary>The entry in words, for the report: its Config and what it points at.</summary>
    public static string Describe(ReadOnlySpan<ulong> e)
    {
        if ((e[0] & V) == 0) return "STE V=0 (invalid)";
        return Cfg(e) switch
        {
            CfgAbort => "STE abort",
            CfgBypass => "STE bypass",
            CfgS1Trans => $"STE S1 translate (CD table at 0x{e[0] & S1CtxPtrMask:x}, S1DSS {((e[1] & S1DssMask) switch { S1DssBypass => "bypass", S1DssSsid0 => "SSID0", _ => "terminate" })}{(((e[1] & EatsMask) >> EatsShift) == EatsTrans ? ", EATS TRANS" : "")})",
            var c => $"STE Config {c}",
        };
    }
}
