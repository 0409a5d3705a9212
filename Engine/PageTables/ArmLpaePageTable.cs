using System.Numerics;
using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

using System.Runtime.CompilerServices;

namespace ScenarioEngine.PageTables;

public enum LpaeStage { S1 = 1, S2 = 2 }

/// <summary>
/// Arm LPAE 64-bit, stage 1 and stage 2 (drivers/iommu/io-pgtable-arm.c, v6.16 text compared with
/// Linux 7.0). Models: granule choice and page-size narrowing
/// (arm_lpae_restrict_pgsizes: 4K|2M|1G, 16K|32M, 64K|512M(|4T with oas > 48), ias/oas clamped to 48,
/// or 52 with the 64K granule, before any check), the TCR.IPS/VTCR.PS output sizes (32, 36, 40, 42,
/// 44, 48, 52; any other oas is NULL), levels and start level
/// from ias, the top table's size (pgd_bits), stage-2 concatenation when architecturally mandatory
/// (arm_lpae_concat_mandatory), arm_lpae_prot_to_pte for both stages (nG, AP, DBM with ARM_HD,
/// AttrIndx / MemAttr incl. S2FWB, SH, AF, XN, NS, NSTABLE), 64K-granule PA[51:48] packing,
/// map_pages capped at the end of the current table with the leaf/table check of arm_lpae_init_pte,
/// silent block-over-table replacement, unmap_pages stopping at the first empty entry, refusal of a
/// partial unmap of a block (WARN_ONCE, 0), tables never freed when they empty, WARNs counted
/// (suppressed by NO_WARN where the kernel suppresses them). Descriptors live in per-table arrays
/// registered in <see cref="PhysicalMemory"/> at the tables' physical addresses.
/// Not modelled: ARM_32 formats and Mali, TTBR1 (the sign-extension test is), non-coherent walk
/// syncing, dirty tracking, TCR/MAIR/VTCR register values. 52-bit addresses with the 64K granule are
/// modelled as the kernel builds them (PA[51:48] in descriptor bits 15:12, a 4T level-1 block); whether
/// the SMMU hardware implements 52-bit output (FEAT_LPA) is the driver's question, not the format's.
/// </summary>
public sealed class ArmLpaePageTable : IIoPageTable
{
    private const int MaxLevels = 4;
    private const ulong TypeBlock = 1, TypeTable = 3, TypePage = 3;
    private const ulong AddrMask = 0x0000_ffff_ffff_f000UL; // GENMASK(47, 12)
    private const ulong NG = 1UL << 11, ApUnpriv = 1UL << 6, ApRdonly = 2UL << 6, Dbm = 1UL << 51;
    private const ulong HapRead = 1UL << 6, HapWrite = 2UL << 6;
    private const ulong ShIs = 3UL << 8, ShOs = 2UL << 8, Af = 1UL << 10, Xn = 3UL << 53, Ns = 1UL << 5, NsTable = 1UL << 63;
    private const int AttrIdxCache = 1, AttrIdxDev = 2;

    private sealed class Table
    {
        public Table(int entries, bool leafLevel)
        {
            E = new ulong[entries];
            Next = leafLevel ? null : new Table?[entries];
        }

        public readonly ulong[] E;
        public readonly Table?[]? Next;
        public ulong Pa;
    }

    private readonly PhysicalMemory _mem;
    private readonly PageAllocator _alloc;
    private readonly Table _pgd;
    private readonly int _bpl, _startLevel, _pgdBits;
    private readonly ulong _granule;
    private readonly ulong _tableLimit;
    private readonly bool _noWarn;
    private readonly HashSet<string> _warnedOnce = new();
    private ulong _tableBytes;
    /// <summary>The last last-level table reached and the IOVA bits above it: most calls land there again.</summary>
    private Table? _leafTable;
    private ulong _leafKey = ulong.MaxValue;
    private Prot _lastProt = (Prot)(-1);
    private ulong _lastPte;

    public LpaeStage Stage { get; }
    public IoPgtableFormat Fmt => Stage == LpaeStage.S1 ? IoPgtableFormat.ArmLpaeS1 : IoPgtableFormat.ArmLpaeS2;
    public string Format => Fmt.Name();
    public IoPgtableCfg Cfg { get; }
    public ulong Ttbr => _pgd.Pa;
    public int Warnings { get; private set; }
    public ulong TableBytes => _tableBytes;
    public int StartLevel => _startLevel;
    public ulong PgdBytes => 8UL << _pgdBits;

    private ArmLpaePageTable(LpaeStage stage, IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator alloc, int bpl, int startLevel, int pgdBits, ulong pgdPa)
    {
        Stage = stage;
        Cfg = cfg;
        _mem = mem;
        _alloc = alloc;
        _bpl = bpl;
        _startLevel = startLevel;
        _pgdBits = pgdBits;
        _granule = 8UL << bpl;
        _tableLimit = 1UL << cfg.Oas;
        _noWarn = (cfg.Quirks & PgtableQuirks.NoWarn) != 0;
        for (int l = 0; l < MaxLevels; l++)
        {
            _shift[l] = (MaxLevels - l) * bpl + 3;
            _idxMask[l] = (1UL << (bpl + (l == startLevel ? pgdBits - bpl : 0))) - 1;
        }
        _pgd = new Table(1 << pgdBits, startLevel == MaxLevels - 1) { Pa = pgdPa };
        mem.Map(pgdPa, _pgd.E);
        _tableBytes = Math.Max(8UL << pgdBits, 64);
    }

    /// <summary>arm_64_lpae_alloc_pgtable_s1 / _s2: null where the kernel returns NULL.</summary>
    public static ArmLpaePageTable? Alloc(LpaeStage stage, IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator alloc)
    {
        var accepted = stage == LpaeStage.S1
            ? PgtableQuirks.ArmNs | PgtableQuirks.ArmTtbr1 | PgtableQuirks.ArmOuterWbwa | PgtableQuirks.ArmHd | PgtableQuirks.NoWarn
            : PgtableQuirks.ArmS2Fwb | PgtableQuirks.NoWarn;
        if ((cfg.Quirks & ~accepted) != 0) return null;
        if ((cfg.Quirks & PgtableQuirks.ArmTtbr1) != 0) return null; // not modelled: refuse rather than get it wrong
        // arm_lpae_alloc_pgtable: arm_lpae_restrict_pgsizes narrows the page sizes to one granule AND
        // clamps ias/oas to what that granule can address (48 bits; 52 with 64K) before any check, so
        // an SMMU reporting a 52-bit VA gets a 48-bit table with 4K pages, not a refusal.
        var (bitmap, ias, oas) = Restrict(cfg.PgsizeBitmap, cfg.Ias, cfg.Oas);
        if ((bitmap & (0x1000UL | 0x4000UL | 0x10000UL)) == 0) return null;
        if (ias > MaxAddrBits || oas > MaxAddrBits) return null; // ARM_LPAE_MAX_ADDR_BITS
        // arm_64_lpae_alloc_pgtable_s1 / _s2: TCR.IPS / VTCR.PS encode only these output sizes;
        // any other oas is "goto out_free_data" (NULL), e.g. oas 41 or 47.
        if (oas is not (32 or 36 or 40 or 42 or 44 or 48 or 52)) return null;
        cfg = cfg with { Ias = ias, Oas = oas };
        int pgShift = BitOperations.TrailingZeroCount(bitmap);
        int bpl = pgShift - 3;
        int vaBits = cfg.Ias - pgShift;
        if (vaBits <= 0) return null;
        int levels = (vaBits + bpl - 1) / bpl;
        int start = MaxLevels - levels;
        int pgdBits = vaBits - bpl * (levels - 1);
        if (stage == LpaeStage.S2 && ConcatMandatory(8UL << bpl, start, cfg.Ias, cfg.Oas))
        {
            if ((1 << pgdBits) > 16) return null; // ARM_LPAE_S2_MAX_CONCAT_PAGES (WARN_ON)
            pgdBits += bpl;
            start++;
        }
        ulong pgdSize = Math.Max(8UL << pgdBits, 1024);
        var pa = alloc.AllocKernel(pgdSize, pgdSize, 1UL << cfg.Oas);
        if (pa is null) return null;
        return new ArmLpaePageTable(stage, cfg with { PgsizeBitmap = bitmap }, mem, alloc, bpl, start, pgdBits, pa.Value);
    }

    /// <summary>ARM_LPAE_MAX_ADDR_BITS.</summary>
    public const int MaxAddrBits = 52;

    /// <summary>
    /// arm_lpae_restrict_pgsizes (io-pgtable-arm.c, Linux 7.0) with a 4 KiB CPU page size: the page
    /// sizes of one granule (4K|2M|1G, 16K|32M, 64K|512M, and 4T with 64K when oas is above 48), and
    /// ias/oas clamped to the granule's reach (max_addr_bits: 48, or 52 with the 64K granule).
    /// </summary>
    public static (ulong Bitmap, int Ias, int Oas) Restrict(ulong bitmap, int ias, int oas)
    {
        ulong sizes = RestrictPgsizes(bitmap);
        int max = (sizes & 0x10000UL) != 0 ? 52 : 48;
        if ((sizes & 0x10000UL) != 0 && oas > 48) sizes |= bitmap & (1UL << 42);
        return (sizes, Math.Min(ias, max), Math.Min(oas, max));
    }

    /// <summary>The page-size half of arm_lpae_restrict_pgsizes (without the 64K granule's 4T block, which depends on oas: <see cref="Restrict"/>).</summary>
    public static ulong RestrictPgsizes(ulong bitmap)
    {
        const ulong page = 0x1000, pageMask = ~(page - 1);
        ulong granule;
        if ((bitmap & page) != 0) granule = page;
        else if ((bitmap & ~pageMask) != 0) granule = 1UL << (63 - BitOperations.LeadingZeroCount(bitmap & ~pageMask));
        else if ((bitmap & pageMask) != 0) granule = 1UL << BitOperations.TrailingZeroCount(bitmap & pageMask);
        else granule = 0;
        return granule switch
        {
            0x1000 => bitmap & (0x1000UL | 0x20_0000UL | 0x4000_0000UL),
            0x4000 => bitmap & (0x4000UL | 0x200_0000UL),
            0x10000 => bitmap & (0x10000UL | 0x2000_0000UL),
            _ => 0,
        };
    }

    /// <summary>
    /// arm_lpae_concat_mandatory (io-pgtable-arm.c, Linux 7.0; Arm DDI0487 R_DXBSH, R_SRKBC): 16K
    /// starting at level 0 with ias or oas 48; 4K starting at level 0 with oas 40 or 42; 16K starting
    /// at level 1 with oas 40.
    /// </summary>
    private static bool ConcatMandatory(ulong granule, int start, int ias, int oas) =>
        (granule == 0x4000 && start == 0 && (oas == 48 || ias == 48))
        || (granule == 0x1000 && start == 0 && oas is 40 or 42)
        || (granule == 0x4000 && start == 1 && oas == 40);

    // ----- geometry -----
    // ARM_LPAE_LVL_SHIFT, ARM_LPAE_BLOCK_SIZE and the ARM_LPAE_LVL_IDX mask, per level, computed once
    private readonly int[] _shift = new int[MaxLevels];
    private readonly ulong[] _idxMask = new ulong[MaxLevels];
    private int LvlShift(int l) => _shift[l];
    private ulong BlockSize(int l) => 1UL << _shift[l];
    private int LvlIdx(ulong iova, int l) => (int)((iova >> _shift[l]) & _idxMask[l]);
    private int PtesPerTable => 1 << _bpl;
    private int MaxEntries(int i) => PtesPerTable - (i & (PtesPerTable - 1));
    private static bool IsLeaf(ulong pte, int lvl) => lvl == MaxLevels - 1 ? (pte & 3) == TypePage : (pte & 3) == TypeBlock;

    private void Warn(string? once = null)
    {
        if (once is not null) { if (_warnedOnce.Add(once)) Warnings++; return; }
        if (!_noWarn) Warnings++;
    }

    private ulong PaddrToPte(ulong pa) => (pa | (pa >> (48 - 12))) & AddrMask;

    private ulong PteToPaddr(ulong pte)
    {
        ulong pa = pte & AddrMask;
        return _granule < 0x10000 ? pa : (pa | (pa << (48 - 12))) & (AddrMask << 4);
    }

    /// <summary>arm_lpae_prot_to_pte.</summary>
    private ulong ProtToPte(Prot prot)
    {
        ulong pte;
        if (Stage == LpaeStage.S1)
        {
            pte = NG;
            if ((prot & Prot.Write) == 0 && (prot & Prot.Read) != 0) pte |= ApRdonly;
            else if ((Cfg.Quirks & PgtableQuirks.ArmHd) != 0) pte |= Dbm;
            if ((prot & Prot.Priv) == 0) pte |= ApUnpriv;
            if ((prot & Prot.Mmio) != 0) pte |= (ulong)AttrIdxDev << 2;
            else if ((prot & Prot.Cache) != 0) pte |= (ulong)AttrIdxCache << 2;
        }
        else
        {
            pte = 0;
            if ((prot & Prot.Read) != 0) pte |= HapRead;
            if ((prot & Prot.Write) != 0) pte |= HapWrite;
            if ((prot & Prot.Mmio) != 0) pte |= 0x1UL << 2;
            else if ((prot & Prot.Cache) != 0) pte |= ((Cfg.Quirks & PgtableQuirks.ArmS2Fwb) != 0 ? 0x6UL : 0xfUL) << 2;
            else pte |= 0x5UL << 2;
        }
        pte |= (prot & Prot.Cache) != 0 ? ShIs : ShOs;
        if ((prot & Prot.NoExec) != 0) pte |= Xn;
        if ((Cfg.Quirks & PgtableQuirks.ArmNs) != 0) pte |= Ns;
        pte |= Af;
        return pte;
    }

    // ----- map (arm_lpae_map_pages, __arm_lpae_map, arm_lpae_init_pte) -----
    public Outcome MapPages(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, out ulong mapped)
    {
        mapped = 0;
        if (pgsize == 0 || (pgsize & Cfg.PgsizeBitmap) != pgsize)
        {
            Warn();
            return Outcome.Fail(Errno.EINVAL, $"arm_lpae_map_pages: page size {Hex.Size(pgsize)} is not in the bitmap {Hex.Of(Cfg.PgsizeBitmap)} (io-pgtable-arm.c)");
        }
        if ((long)iova >> Cfg.Ias != 0 || paddr >> Cfg.Oas != 0)
        {
            Warn();
            return Outcome.Fail(Errno.ERANGE, $"arm_lpae_map_pages: iova {Hex.Of(iova)} beyond ias {Cfg.Ias} or pa {Hex.Of(paddr)} beyond oas {Cfg.Oas} (io-pgtable-arm.c)");
        }
        if ((prot & (Prot.Read | Prot.Write)) == 0)
            return Outcome.Fail(Errno.EINVAL, "arm_lpae_map_pages: prot has neither READ nor WRITE (io-pgtable-arm.c)");
        if (prot != _lastProt) { _lastPte = ProtToPte(prot); _lastProt = prot; }
        ulong pte = _lastPte;
        var t = _pgd;
        int startAt = _startLevel;
        if (pgsize == _granule && _leafTable is not null && iova >> _shift[MaxLevels - 2] == _leafKey)
        {
            t = _leafTable;
            startAt = MaxLevels - 1;
            // One page into an empty slot of the last table used (a driver mapping page by page):
            // arm_lpae_init_pte's write, without the span checks of the general path below.
            int i = LvlIdx(iova, MaxLevels - 1);
            if (pgcount == 1 && _granule < 0x10000 && (uint)i < (uint)t.E.Length && t.E[i] == 0)
            {
                t.E[i] = pte | TypePage | (paddr & AddrMask);
                mapped = pgsize;
                return Outcome.Success;
            }
        }
        for (int lvl = startAt; ; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            if (pgsize == BlockSize(lvl))
            {
                if (lvl == MaxLevels - 1 && t != _pgd && t != _leafTable) { _leafTable = t; _leafKey = iova >> _shift[MaxLevels - 2]; }
                int num = (int)Math.Min(pgcount, (ulong)Math.Min(MaxEntries(idx), t.E.Length - idx));
                var r = InitPte(iova, paddr, pte, lvl, num, t, idx);
                if (r.Ok) mapped += (ulong)num * pgsize;
                return r;
            }
            if (lvl >= MaxLevels - 1)
            {
                Warn();
                return Outcome.Fail(Errno.EINVAL, "__arm_lpae_map: no table below the last level (io-pgtable-arm.c)");
            }
            ulong cur = t.E[idx];
            if (cur == 0)
            {
                var pa = _alloc.AllocKernel(_granule, _granule, _tableLimit);
                if (pa is null) return Outcome.Fail(Errno.ENOMEM, "__arm_lpae_alloc_pages: no memory for a table (io-pgtable-arm.c)");
                var nt = new Table(PtesPerTable, lvl + 1 == MaxLevels - 1) { Pa = pa.Value };
                _mem.Map(pa.Value, nt.E);
                _tableBytes += _granule;
                ulong tpte = PaddrToPte(pa.Value) | TypeTable;
                if ((Cfg.Quirks & PgtableQuirks.ArmNs) != 0) tpte |= NsTable;
                t.E[idx] = tpte;
                t.Next![idx] = nt;
                t = nt;
            }
            else if (!IsLeaf(cur, lvl)) t = t.Next![idx]!;
            else
            {
                Warn();
                return Outcome.Fail(Errno.EEXIST, $"__arm_lpae_map: a {Hex.Size(BlockSize(lvl))} block already covers {Hex.Of(iova)} (io-pgtable-arm.c)");
            }
        }
    }

    private Outcome InitPte(ulong iova, ulong paddr, ulong prot, int lvl, int num, Table t, int idx)
    {
        ulong sz = BlockSize(lvl);
        var span = t.E.AsSpan(idx, num);
        ulong type = lvl == MaxLevels - 1 ? TypePage : TypeBlock;
        if (span.IndexOfAnyExcept(0UL) < 0 && _granule < 0x10000)
        {
            // All slots empty (the usual case): below 64K granules the output address is PA[47:12] as is.
            ulong v = prot | type | (paddr & AddrMask);
            for (int i = 0; i < span.Length; i++, v += sz) span[i] = v;
            return Outcome.Success;
        }
        for (int i = 0; i < num; i++)
        {
            ulong e = t.E[idx + i];
            if (IsLeaf(e, lvl))
            {
                Warn();
                return Outcome.Fail(Errno.EEXIST, $"arm_lpae_init_pte: {Hex.Of(iova + (ulong)i * sz)} is already mapped (io-pgtable-arm.c)");
            }
            if ((e & 3) == TypeTable)
            {
                // A block over a next-level table: the table and everything under it go, silently.
                FreeSubtree(t, idx + i);
                t.E[idx + i] = 0;
            }
        }
        ulong bits = prot | type;
        for (int i = 0; i < span.Length; i++) span[i] = bits | PaddrToPte(paddr + (ulong)i * sz);
        return Outcome.Success;
    }

    private void FreeSubtree(Table parent, int idx)
    {
        var child = parent.Next![idx];
        parent.Next[idx] = null;
        if (child is null) return;
        if (child.Next is not null)
            for (int i = 0; i < child.Next.Length; i++)
                if (child.Next[i] is not null) FreeSubtree(child, i);
        if (child == _leafTable) { _leafTable = null; _leafKey = ulong.MaxValue; }
        _mem.Unmap(child.Pa, _granule);
        _alloc.FreeKernel(child.Pa, _granule);
        _tableBytes -= _granule;
    }

    // ----- unmap (arm_lpae_unmap_pages, __arm_lpae_unmap) -----
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ulong UnmapPages(ulong iova, ulong pgsize, ulong pgcount)
    {
        if (pgsize == 0 || (pgsize & Cfg.PgsizeBitmap) != pgsize || pgcount == 0) { Warn(); return 0; }
        if ((long)iova >> Cfg.Ias != 0) { Warn(); return 0; }
        var t = _pgd;
        int startAt = _startLevel;
        if (pgsize == _granule && _leafTable is not null && iova >> _shift[MaxLevels - 2] == _leafKey)
        {
            t = _leafTable;
            startAt = MaxLevels - 1;
        }
        for (int lvl = startAt; lvl < MaxLevels; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            ulong pte = t.E[idx];
            // An empty entry: WARN_ON and 0 bytes. Linux 7.0 has upstream 374e7af67d9d ("iommu/io-pgtable-arm:
            // fix size_t signedness bug in unmap path"); older trees returned -ENOENT through the size_t,
            // which callers read as a huge unmapped size.
            if (pte == 0) { Warn(); return 0; }
            if (lvl == MaxLevels - 1 && t != _pgd && startAt != lvl) { _leafTable = t; _leafKey = iova >> _shift[MaxLevels - 2]; }
            if (pgsize == BlockSize(lvl))
            {
                int num = (int)Math.Min(pgcount, (ulong)Math.Min(MaxEntries(idx), t.E.Length - idx));
                if (lvl == MaxLevels - 1 && num == 1)
                {
                    t.E[idx] = 0; // the one entry, found non-empty above
                    return pgsize;
                }
                if (lvl == MaxLevels - 1)
                {
                    // The last level holds only page entries (the engine writes no other type there), so
                    // __arm_lpae_unmap's loop finds no non-leaf entry: it stops at the first empty one
                    // (WARN_ON(!pte)) and clears the rest — a vectorised search for zero.
                    var run = t.E.AsSpan(idx, num);
                    int empty = run.IndexOf(0UL);
                    if (empty >= 0) Warn();
                    int n = empty < 0 ? num : empty;
                    run[..n].Clear();
                    return (ulong)n * pgsize;
                }
                int i = 0;
                for (; i < num; i++)
                {
                    ulong e = t.E[idx + i];
                    if (e == 0) { Warn(); break; }
                    if (!IsLeaf(e, lvl))
                    {
                        t.E[idx + i] = 0;
                        FreeSubtree(t, idx + i);
                    }
                }
                t.E.AsSpan(idx, i).Clear();
                return (ulong)i * pgsize;
            }
            if (IsLeaf(pte, lvl)) { Warn("partial-large"); return 0; }
            t = t.Next![idx]!;
        }
        Warn();
        return 0;
    }

    // ----- lookup -----
    public ulong IovaToPhys(ulong iova)
    {
        var t = _pgd;
        for (int lvl = _startLevel; lvl < MaxLevels; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            ulong pte = t.E[idx];
            if ((pte & 3) == 0) return 0;
            if (IsLeaf(pte, lvl)) return PteToPaddr(pte) | (iova & (BlockSize(lvl) - 1));
            t = t.Next![idx]!;
        }
        return 0;
    }

    public IReadOnlyList<WalkStep> Walk(ulong iova)
    {
        var steps = new List<WalkStep>(4);
        var t = _pgd;
        for (int lvl = _startLevel; lvl < MaxLevels; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            ulong pte = t.E[idx];
            steps.Add(new WalkStep(lvl, (ulong)idx, pte, t.Pa));
            if ((pte & 3) == 0 || IsLeaf(pte, lvl)) break;
            t = t.Next![idx]!;
        }
        return steps;
    }

    public WalkStep LastStep(ulong iova)
    {
        var t = _pgd;
        for (int lvl = _startLevel; ; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            ulong pte = t.E[idx];
            if ((pte & 3) == 0 || IsLeaf(pte, lvl) || lvl == MaxLevels - 1) return new WalkStep(lvl, (ulong)idx, pte, t.Pa);
            t = t.Next![idx]!;
        }
    }

    public IEnumerable<Leaf> Leaves()
    {
        var list = new List<Leaf>();
        Collect(_pgd, _startLevel, 0, list);
        return list;
    }

    private void Collect(Table t, int lvl, ulong baseIova, List<Leaf> into)
    {
        for (int i = 0; i < t.E.Length; i++)
        {
            ulong pte = t.E[i];
            if ((pte & 3) == 0) continue;
            ulong iova = baseIova + ((ulong)i << LvlShift(lvl));
            if (IsLeaf(pte, lvl)) into.Add(new Leaf(iova, PteToPaddr(pte), BlockSize(lvl), DecodeProt(pte)));
            else Collect(t.Next![i]!, lvl + 1, iova, into);
        }
    }

    public string Describe(ulong pte, int level)
    {
        if ((pte & 3) == 0) return "invalid";
        if (!IsLeaf(pte, level)) return $"table → {Hex.Of(PteToPaddr(pte))}" + ((pte & NsTable) != 0 ? " NSTABLE" : "");
        var f = new List<string> { $"{(level == MaxLevels - 1 ? "page" : "block")} {Hex.Size(BlockSize(level))}", "pa " + Hex.Of(PteToPaddr(pte)) };
        if (Stage == LpaeStage.S1)
            f.Add($"AttrIndx={(pte >> 2) & 7} AP[2:1]={(pte >> 6) & 3} nG={(pte >> 11) & 1}");
        else
            f.Add($"MemAttr={Hex.Of((pte >> 2) & 0xf)} HAP={(pte >> 6) & 3}");
        f.Add($"SH={(pte >> 8) & 3} AF={(pte >> 10) & 1}");
        if ((pte & Xn) != 0) f.Add("XN");
        if ((pte & Ns) != 0 && Stage == LpaeStage.S1) f.Add("NS");
        if ((pte & Dbm) != 0 && Stage == LpaeStage.S1) f.Add("DBM");
        return string.Join(", ", f);
    }

    private Prot DecodeProt(ulong pte)
    {
        Prot p;
        if (Stage == LpaeStage.S1)
        {
            p = Prot.Read | ((pte & ApRdonly) != 0 ? Prot.None : Prot.Write);
            if ((pte & ApUnpriv) == 0) p |= Prot.Priv;
            ulong idx = (pte >> 2) & 7;
            if (idx == AttrIdxDev) p |= Prot.Mmio;
            else if (idx == AttrIdxCache) p |= Prot.Cache;
        }
        else
        {
            p = ((pte & HapRead) != 0 ? Prot.Read : Prot.None) | ((pte & HapWrite) != 0 ? Prot.Write : Prot.None);
            ulong attr = (pte >> 2) & 0xf;
            if (attr == 0x1) p |= Prot.Mmio;
            else if (attr is 0xf or 0x6) p |= Prot.Cache;
        }
        if ((pte & Xn) != 0) p |= Prot.NoExec;
        return p;
    }
}
