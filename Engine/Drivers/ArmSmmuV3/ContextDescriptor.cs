namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// The 64-byte stage-1 context descriptor (struct arm_smmu_cd) as arm_smmu_make_s1_cd builds it
/// (arm-smmu-v3.c; CTXDESC_CD_* in arm-smmu-v3.h): TCR fields from io-pgtable-arm's stage-1
/// configuration (arm_64_lpae_alloc_pgtable_s1: T0SZ = 64 − ias, TG0 4K, IRGN0/ORGN0 write-back
/// write-allocate and SH0 inner shareable for a coherent walk, else non-cacheable and outer
/// shareable; IPS from oas), EPD1 (no TTB1), V, AA64, R, A, ASET, the ASID; TTB0 in qword 1 and MAIR in
/// qword 3 (0xf404ff44: NC, WBRWA, device, inner-NC outer-WB). The bits the hardware reads
/// (arm_smmu_get_cd_used): V only when invalid, everything when valid, less the TTB0 fields when EPD0.
/// Not modelled: dirty tracking (HA/HD), stall (S), big-endian (ENDI), SVA's quiet CD.
/// </summary>
internal static class ContextDescriptor
{
    public const ulong V = 1UL << 31;
    public const ulong Epd0 = 1UL << 14, Epd1 = 1UL << 30;
    public const ulong Aa64 = 1UL << 41, R = 1UL << 45, A = 1UL << 46, Aset = 1UL << 47;
    public const int AsidShift = 48;
    public const ulong Ttb0Mask = ((1UL << 52) - 1) & ~((1UL << 4) - 1); // GENMASK_ULL(51, 4)
    public const ulong Mair = 0xf404ff44;
    private const ulong Tcr0Fields = 0x3fUL | (3UL << 6) | (3UL << 8) | (3UL << 10) | (3UL << 12);

    /// <summary>ARM_LPAE_TCR_PS_* for an output size (io-pgtable-arm.c, arm_64_lpae_alloc_pgtable_s1).</summary>
    public static ulong Ips(int oas) => oas switch { 32 => 0, 36 => 1, 40 => 2, 42 => 3, 44 => 4, 48 => 5, 52 => 6, _ => 5 };

    public static ulong[] S1(ulong ttbr, int ias, int oas, bool coherentWalk, ushort asid)
    {
        ulong tsz = (ulong)(64 - ias);
        ulong rgn = coherentWalk ? 1UL : 0UL;      // ARM_LPAE_TCR_RGN_WBWA : ARM_LPAE_TCR_RGN_NC
        ulong sh = coherentWalk ? 3UL : 2UL;       // ARM_LPAE_TCR_SH_IS : ARM_LPAE_TCR_SH_OS
        var t = new ulong[8];
        t[0] = tsz | (0UL << 6) | (rgn << 8) | (rgn << 10) | (sh << 12) | Epd1 | V | (Ips(oas) << 32)
               | Aa64 | R | A | Aset | ((ulong)asid << AsidShift);
        t[1] = ttbr & Ttb0Mask;
        t[3] = Mair;
        return t;
    }

    public static ushort Asid(ReadOnlySpan<ulong> cd) => (ushort)(cd[0] >> AsidShift);
    public static ulong Ttb0(ReadOnlySpan<ulong> cd) => cd[1] & Ttb0Mask;

    /// <summary>arm_smmu_get_cd_used.</summary>
    public static void Used(ReadOnlySpan<ulong> e, Span<ulong> used)
    {
        used.Clear();
        used[0] = V;
        if ((e[0] & V) == 0) return;
        used.Fill(ulong.MaxValue);
        if ((e[0] & Epd0) != 0)
        {
            used[0] &= ~Tcr0Fields;
            used[1] &= ~Ttb0Mask;
        }
    }
}
