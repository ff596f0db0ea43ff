#!/usr/bin/env python3
"""Write small CulturaX-like web-corpus samples (parquet) for the data_collection tests and demo.

Usage: python scripts/make_culturax_samples.py --output samples/culturax

Writes <out>/<lang>/<lang>_part_00000.parquet for lang in en zh ja fr ru es with CulturaX's columns
``text`` (str), ``timestamp`` (str, "YYYY/MM/DD HH:MM:SS"), ``url`` (str) and ``source`` ("mC4" or "OSCAR-2301").

All texts were written for this project (none is copied from CulturaX). Per language there are 42 documents:
14 clearly medical (patient information, drug leaflets, clinical news, hospital department pages), 7 borderline
(a news story or blog that mentions health once) and 21 non-medical, plus one exact duplicate of a medical
document (same text, different url) and one near-duplicate (a medical text with a couple of words changed), so
deduplication has work to do. Output is deterministic (no randomness depends on the run); only stdlib + pyarrow.
"""
import argparse
import hashlib
import os

import pyarrow as pa
import pyarrow.parquet as pq

LANGS = ["en", "zh", "ja", "fr", "ru", "es"]
# Per language: list of (category, text); category is "med", "border" or "gen" (kept out of the parquet file).
DOCS = {}
# Per language: (index of the medical document to near-duplicate, [(old, new), ...] word replacements).
NEAR_DUP = {}
# Per language: index of the medical document duplicated exactly.
EXACT_DUP = {}

# ---------------------------------------------------------------- en
DOCS["en"] = [
("med", """Type 2 Diabetes: What Patients Should Know

Type 2 diabetes is a chronic disease in which the body does not use insulin properly, a condition called insulin resistance. Over time the pancreas cannot make enough insulin to keep blood glucose in a normal range. Common symptoms include increased thirst, frequent urination, blurred vision, fatigue and slow-healing wounds, but many people have no symptoms for years.

Diagnosis is made with a fasting plasma glucose of 126 mg/dL or higher, an HbA1c of 6.5% or higher, or an oral glucose tolerance test. Treatment starts with diet, weight loss and regular exercise. Metformin is usually the first medication; other options include SGLT2 inhibitors, GLP-1 receptor agonists and insulin. Poorly controlled diabetes damages blood vessels and nerves and can lead to heart attack, stroke, kidney failure, retinopathy and foot ulcers. Ask your doctor how often you should have your eyes, kidneys and feet checked."""),
("med", """Package leaflet: Amoxicillin 500 mg capsules

What amoxicillin is and what it is used for: Amoxicillin is a penicillin antibiotic. It is used to treat bacterial infections such as middle ear infection, tonsillitis, sinusitis, pneumonia, urinary tract infection and, together with other medicines, Helicobacter pylori infection of the stomach. It does not work against viral infections such as the common cold or influenza.

Do not take amoxicillin if you are allergic to penicillin or to any cephalosporin antibiotic. Tell your doctor if you have glandular fever (infectious mononucleosis), kidney problems or if you are taking warfarin or methotrexate.

Possible side effects: diarrhea, nausea and skin rash are common. Stop taking this medicine and seek urgent medical help if you develop swelling of the face, lips or throat, difficulty breathing or a severe skin reaction, as these may be signs of anaphylaxis. Severe or bloody diarrhea may be a sign of Clostridioides difficile colitis. Always complete the full course prescribed by your doctor, even if you feel better."""),
("med", """Hypertension (high blood pressure) often causes no symptoms, which is why it is called the silent killer. Blood pressure is considered high when it is consistently 130/80 mmHg or above. Untreated hypertension increases the risk of stroke, myocardial infarction, heart failure, chronic kidney disease and dementia. Lifestyle changes such as reducing salt intake, limiting alcohol, losing weight and exercising can lower blood pressure. Common antihypertensive drugs include ACE inhibitors, angiotensin receptor blockers, calcium channel blockers and thiazide diuretics. Check your blood pressure regularly and take your medication every day even when you feel well."""),
("med", """Department of Cardiology

Our cardiology department provides diagnosis and treatment for the full range of heart and vascular diseases, including coronary artery disease, heart failure, arrhythmias such as atrial fibrillation, valvular heart disease and congenital heart defects in adults.

Diagnostic services. The non-invasive laboratory performs electrocardiograms (ECG), 24-hour Holter monitoring, ambulatory blood pressure monitoring, transthoracic and transesophageal echocardiography, exercise stress testing and cardiac MRI. Cardiac CT angiography is available in cooperation with the radiology department to assess the coronary arteries without catheterization.

Interventional cardiology. Our catheterization laboratory is open 24 hours a day for patients with acute myocardial infarction. Primary percutaneous coronary intervention (PCI) with drug-eluting stents is performed within minutes of arrival, in line with current guidelines. We also perform elective coronary angiography, fractional flow reserve measurement and closure of patent foramen ovale.

Electrophysiology. The arrhythmia team treats atrial fibrillation, atrial flutter and supraventricular tachycardia with catheter ablation, including pulmonary vein isolation. We implant pacemakers for bradycardia and heart block, implantable cardioverter-defibrillators (ICD) for patients at risk of sudden cardiac death, and cardiac resynchronization therapy devices for selected patients with heart failure.

Heart failure clinic. Patients with reduced ejection fraction are followed by specialist nurses who adjust medication such as beta-blockers, ACE inhibitors or sacubitril-valsartan, mineralocorticoid receptor antagonists and SGLT2 inhibitors. Regular monitoring of weight, blood pressure, kidney function and potassium helps prevent hospital readmission. Cardiac rehabilitation after a heart attack or heart surgery is offered as a 12-week program with supervised exercise and education.

Valve and structural heart disease. Patients with severe aortic stenosis are assessed by our heart team, which includes cardiologists, cardiac surgeons and anesthetists. Depending on age, frailty and surgical risk, we offer surgical aortic valve replacement or transcatheter aortic valve implantation (TAVI). Patients with severe mitral regurgitation who are not suitable for surgery may be treated with transcatheter edge-to-edge repair. Before any procedure, we perform echocardiography, CT angiography and coronary angiography to plan treatment.

Prevention clinic. Many heart attacks can be prevented. Our preventive cardiology clinic helps patients with high cholesterol, familial hypercholesterolemia, hypertension, diabetes and obesity to reduce their cardiovascular risk. We prescribe statins, ezetimibe and PCSK9 inhibitors when needed, and dietitians and smoking cessation counselors are part of the team. Patients are taught to recognize the warning signs of angina and myocardial infarction.

Referrals. General practitioners can refer patients through the electronic referral system. In an emergency with chest pain, shortness of breath or fainting, call the emergency number immediately instead of waiting for an appointment."""),
("med", """Asthma in children: a guide for parents. Asthma is a chronic inflammatory disease of the airways that causes episodes of wheezing, coughing, chest tightness and shortness of breath, often at night or after exercise. Triggers include viral infections, house dust mites, pollen, pet dander, cold air and tobacco smoke. A reliever inhaler containing salbutamol opens the airways quickly during an attack. Many children also need a daily preventer inhaler, usually an inhaled corticosteroid, to reduce inflammation. Use a spacer with the inhaler for better drug delivery. Seek emergency care if your child is too breathless to speak, has blue lips or the reliever does not help."""),
("med", """Stroke: act FAST. A stroke happens when the blood supply to part of the brain is cut off by a blood clot (ischemic stroke) or when a blood vessel in the brain bursts (hemorrhagic stroke). Remember FAST: Face drooping, Arm weakness, Speech difficulty, Time to call emergency services. Other symptoms include sudden loss of vision, confusion, severe headache and loss of balance. For ischemic stroke, thrombolysis with alteplase can be given within 4.5 hours of symptom onset, and mechanical thrombectomy can remove clots from large arteries. Risk factors include hypertension, atrial fibrillation, diabetes, high cholesterol and smoking. After a stroke, rehabilitation with physiotherapy, occupational therapy and speech therapy helps patients recover."""),
("med", """Researchers report new results for RSV vaccine in older adults

A large clinical trial published this week found that a single dose of a respiratory syncytial virus (RSV) vaccine reduced lower respiratory tract disease by more than 80% in adults aged 60 and older during the first season. RSV causes bronchiolitis in infants but is also an important cause of pneumonia, hospitalization and death in elderly people and in patients with chronic obstructive pulmonary disease or heart failure. The most common adverse events were pain at the injection site, fatigue and headache. A small number of cases of Guillain-Barré syndrome were reported and will be monitored. Infectious disease specialists said the vaccine could reduce pressure on hospitals during the winter season."""),
("med", """Iron deficiency anemia occurs when the body lacks enough iron to produce hemoglobin, the protein in red blood cells that carries oxygen. Causes include heavy menstrual bleeding, pregnancy, poor diet, celiac disease and chronic gastrointestinal bleeding from ulcers or colon cancer. Symptoms are fatigue, pale skin, shortness of breath, headache, brittle nails and restless legs. Blood tests show low hemoglobin, low mean corpuscular volume and low ferritin. Treatment is oral iron supplements, taken with vitamin C to improve absorption; intravenous iron is used when tablets are not tolerated. In men and postmenopausal women, doctors usually recommend endoscopy and colonoscopy to look for a source of bleeding."""),
("med", """Appendicitis is inflammation of the appendix. Pain usually begins around the navel and then moves to the lower right abdomen, with nausea, vomiting, loss of appetite and fever. The diagnosis is based on physical examination, blood tests showing raised white cells and C-reactive protein, and ultrasound or CT scan. The standard treatment is appendectomy, most often laparoscopic, together with antibiotics. If untreated, the appendix may rupture and cause peritonitis, a life-threatening infection of the abdominal cavity."""),
("med", """Urinary tract infection (UTI) in women

Cystitis is an infection of the bladder, most often caused by Escherichia coli. Typical symptoms are burning pain when passing urine (dysuria), needing to urinate often and urgently, lower abdominal pain and sometimes blood in the urine. A urine dipstick test showing nitrites and leukocytes supports the diagnosis, and a urine culture identifies the bacteria and its antibiotic sensitivity. Uncomplicated cystitis is treated with a short course of nitrofurantoin, fosfomycin or trimethoprim. Fever, flank pain, chills or vomiting may mean the infection has spread to the kidneys (pyelonephritis), which needs urgent medical assessment. Pregnant women with bacteriuria should always be treated, even without symptoms."""),
("med", """Depression is more than feeling sad. Major depressive disorder is diagnosed when low mood or loss of interest lasts at least two weeks, together with symptoms such as insomnia or oversleeping, changes in appetite, fatigue, poor concentration, feelings of worthlessness and thoughts of death or suicide. Treatment includes psychotherapy, especially cognitive behavioral therapy, and antidepressant medication such as selective serotonin reuptake inhibitors (SSRIs) like sertraline or escitalopram. Antidepressants usually take two to four weeks to work. If you have suicidal thoughts, contact a crisis line or go to the emergency department."""),
("med", """Patient information: Colonoscopy

A colonoscopy is an examination of the inside of the large bowel (colon and rectum) using a flexible tube with a camera, called a colonoscope. It is used to investigate rectal bleeding, chronic diarrhea, changes in bowel habit, iron deficiency anemia and abdominal pain, and to screen for colorectal cancer. During the procedure the gastroenterologist can take biopsies and remove polyps (polypectomy).

Before the test you will need bowel preparation: a low-fiber diet for two days and a laxative solution the day before. If you take anticoagulants such as warfarin, apixaban or rivaroxaban, antiplatelet drugs such as clopidogrel, or insulin for diabetes, ask your doctor for instructions. Most patients receive sedation and do not remember the examination.

After the colonoscopy you may feel bloated. Rare complications are bleeding after polyp removal and perforation of the bowel. Contact the hospital if you develop severe abdominal pain, fever or heavy rectal bleeding."""),
("med", """Measles cases rise as vaccination rates fall

Health officials confirmed 14 new measles cases in the county this month, most of them in unvaccinated children. Measles is a highly contagious viral infection that spreads through coughing and sneezing. It starts with fever, runny nose, cough and conjunctivitis, followed by a red rash that spreads from the face to the body. Complications include pneumonia, otitis media, encephalitis and, rarely, death. Two doses of the MMR (measles, mumps and rubella) vaccine are about 97% effective. Public health nurses are offering free vaccination clinics and urge parents to check their children's immunization records."""),
("med", """Gout is a form of inflammatory arthritis caused by deposits of uric acid crystals in a joint. An acute attack typically affects the big toe, which becomes suddenly red, hot, swollen and extremely painful, often at night. Risk factors include obesity, alcohol, red meat, sugary drinks, diuretics and kidney disease. Attacks are treated with NSAIDs, colchicine or corticosteroids. Long-term treatment with allopurinol or febuxostat lowers serum uric acid and prevents new attacks and tophi."""),
("border", """Local marathon draws record crowd

More than 12,000 runners took part in Sunday's city marathon, a new record for the event. Kenyan runner Daniel Kiprop won the men's race in 2:09:41, while local favorite Sarah Mitchell took the women's title. Organizers said the warm weather made conditions difficult, and medical volunteers treated several runners for dehydration at the finish line; two were taken to St. Mary's Hospital as a precaution and released later the same day. Thousands of spectators lined the route along the river, and the after-race festival featured live music, food trucks and a charity fundraiser for the children's library."""),
("border", """How to use your heart rate when training

If you own a fitness watch, you have probably noticed the heart rate numbers on the screen. A simple way to estimate your maximum heart rate is 220 minus your age, although it varies a lot between people. Easy runs should feel conversational, usually around 60-70% of maximum. Tempo runs sit higher, around 80-88%. Do not obsess over every beat: sleep, caffeine, heat and stress all change your numbers. Building a strong aerobic base with many easy kilometers is still the best way to get faster. And of course, if you ever feel chest pain or dizziness during exercise, stop and talk to a doctor."""),
("border", """Easy lentil soup (healthy and cheap!)

This lentil soup is my go-to dinner on cold evenings. It's healthy, full of fiber and costs less than five dollars for four bowls. Sauté one chopped onion, two carrots and two celery sticks in olive oil for 8 minutes. Add three cloves of garlic, a teaspoon of cumin and a teaspoon of smoked paprika. Stir in one cup of rinsed red lentils, a can of chopped tomatoes and five cups of vegetable stock. Simmer for 25 minutes until the lentils are soft. Finish with lemon juice, salt and fresh parsley. It keeps in the fridge for four days and freezes well."""),
("border", """Singer postpones tour after surgery

Pop singer Lena Ray has postponed the European leg of her tour after undergoing surgery on her vocal cords. In a statement on social media, she said doctors advised her to rest her voice for six weeks. "I'm so sorry to everyone who bought tickets," she wrote. "I promise the shows will be worth the wait." All tickets remain valid for the new dates, which will be announced next month. The singer's latest album reached number one in eleven countries last year."""),
("border", """Office ergonomics on a budget. After a year of working from home my back was complaining, so I finally fixed my setup. I raised the laptop on a stack of books and bought a cheap external keyboard and mouse. The top of the screen should be at eye level, your elbows at about 90 degrees and your feet flat on the floor. I also set a timer to stand up and stretch every 45 minutes. None of this is medical advice, but my neck feels much better and I spent less than 40 dollars."""),
("border", """City council approves new bus route

The city council voted 7-2 on Tuesday to approve a new bus route linking the northern suburbs with the downtown area. The route will stop at the central library, the university campus and the regional hospital, making it easier for residents without a car to reach appointments. Buses will run every 15 minutes on weekdays. Construction of new shelters begins in May, and the service is expected to start in September."""),
("border", """Sleep better tonight: 7 simple tips. Keep a regular schedule, even on weekends. Avoid screens an hour before bed. Keep your bedroom cool and dark. Limit coffee after lunch. Don't go to bed hungry or overly full. Get daylight in the morning. And if you've been sleeping badly for weeks, it might be worth mentioning it to your GP."""),
("gen", """Review: the Nova X5 smartphone

The Nova X5 is the best mid-range phone I've tested this year. The 6.5-inch OLED display is bright and sharp, with a smooth 120 Hz refresh rate. Battery life is excellent: I regularly finished the day with 40% left after heavy use. The main 50-megapixel camera takes detailed photos in daylight, though night shots are a bit noisy. The phone is a little heavy at 205 grams, and there is no headphone jack. At 399 dollars it's a great value, especially if you care about battery and screen quality more than zoom photography."""),
("gen", """United come from behind to beat Rovers

A late goal from substitute Tom Harris gave United a 2-1 win over Rovers on Saturday afternoon. Rovers took the lead after 23 minutes when their captain headed in a corner, and they defended well for most of the match. United equalized through a long-range shot in the 67th minute and pushed forward until Harris finished a quick counterattack in stoppage time. The result moves United up to fourth place in the table, two points behind the leaders. The manager praised his team's character: "We never stopped believing," he said."""),
("gen", """Three days in Lisbon

Lisbon is a city best explored on foot, although its hills will test your legs. Start in Alfama, the oldest neighborhood, where narrow streets lead up to the São Jorge Castle and its views over the Tagus river. Take the famous tram 28 through Graça and Baixa, but go early to avoid the crowds. On day two, head to Belém to see the Jerónimos Monastery and the Belém Tower, and don't leave without trying a custard tart from the famous bakery nearby. On your last day, take a train to Sintra, a fairy-tale town of palaces and gardens in the forested hills. In the evening, listen to fado in a small restaurant in Bairro Alto."""),
("gen", """How to make sourdough bread at home

Mix 500 grams of bread flour with 350 grams of water and let it rest for one hour. Add 100 grams of active starter and 10 grams of salt and squeeze everything together. Over the next three hours, do four sets of stretch and folds, 30 minutes apart. Let the dough rise until it has grown by about half, then shape it into a tight ball and place it in a floured basket. Refrigerate overnight. The next morning, bake in a preheated Dutch oven at 250°C for 20 minutes with the lid on and 25 minutes with the lid off, until the crust is deep brown."""),
("gen", """Interest rates held steady

The central bank kept its benchmark interest rate unchanged at 4.25% on Wednesday, as expected by most economists. Inflation fell to 3.1% last month, but policymakers said it remains above their 2% target and that they need more evidence before cutting rates. Stock markets rose slightly after the announcement, and the currency weakened against the dollar. Mortgage lenders said fixed-rate deals have become a little cheaper in recent weeks as markets expect cuts later in the year."""),
("gen", """For sale: oak dining table with 6 chairs, good condition, minor scratches. $250. Pickup only."""),
("gen", """Garden tips for April

April is a busy month in the garden. Sow peas, carrots, beetroot and lettuce directly outdoors once the soil has warmed up. Start tomatoes, peppers and courgettes indoors on a sunny windowsill. Prune roses before new growth gets going and feed them with a balanced fertilizer. Keep an eye out for slugs, which love young seedlings; beer traps and copper tape are eco-friendly options. Finally, mow the lawn on a high setting for the first few cuts of the season."""),
("gen", """Wireless earbuds compared: which should you buy?

We tested five pairs of wireless earbuds priced between 50 and 250 dollars over four weeks of commuting, running and working from home. The premium pair had the best active noise cancellation and the most natural sound, but the case is bulky. Our budget pick delivered surprisingly punchy bass and a reliable Bluetooth connection, although call quality suffered in windy streets. Battery life ranged from five to nine hours per charge. If you mainly listen on an iPhone, pick the model with automatic device switching; Android users will get more from the pair with a customizable equalizer app."""),
("gen", """School board announces new calendar

The district school board has approved next year's calendar. Classes will start on August 28 and end on June 12. Winter break runs from December 22 to January 5, and spring break is scheduled for the first week of April. Two additional teacher training days have been added in October and February. Parents can download the full calendar from the district website."""),
("gen", """Our history

Founded in 1962 by brothers Frank and Joe Bellamy, Bellamy Hardware started as a small shop selling nails, paint and garden tools on Main Street. Over six decades we have grown into three stores across the county, but we still believe in the same thing: friendly advice from people who know their products. Whether you need a single screw or a complete kitchen renovation, our staff will help you find the right tools and materials. Stop by and say hello; the coffee is always free."""),
("gen", """Tournament recap: chess club juniors shine

Our junior members had a fantastic weekend at the regional rapid chess tournament. Twelve-year-old Maya Chen finished first in the under-14 section with six points out of seven, including a beautiful queen sacrifice in round five. The under-10 team won the team trophy for the second year in a row. Thanks to all the parents who drove players and to our coaches for their hard work. Training sessions continue every Thursday at 5 pm in the community hall."""),
("gen", """Weekend weather: sunshine and showers. Expect a bright start on Saturday with temperatures around 18°C, followed by scattered showers in the afternoon. Sunday will be cooler and windy."""),
("gen", """Beginner's guide to budgeting

A budget is simply a plan for your money. Start by writing down your monthly income after tax. Then list fixed costs such as rent, utilities, insurance and loan payments. Next, track your variable spending on groceries, transport and entertainment for a month; most people are surprised how much goes on small purchases. A popular rule is 50/30/20: 50% for needs, 30% for wants and 20% for savings and debt repayment. Build an emergency fund covering three to six months of expenses before investing. Review your budget every month and adjust it when your situation changes."""),
("gen", """Product description: Trailmaster 45L hiking backpack

The Trailmaster 45L is designed for multi-day hikes. It features an adjustable back system, padded hip belt with zip pockets, a hydration sleeve compatible with 3-liter reservoirs, and an integrated rain cover in the bottom pocket. The main compartment can be accessed from the top or the front. Side compression straps keep the load stable, and ice axe loops make it ready for winter trips. Weight: 1.4 kg. Material: ripstop nylon with water-repellent coating. Available in green, gray and orange."""),
("gen", """Classic car show returns to the fairgrounds

After a three-year break, the Spring Classic Car Show returns to the county fairgrounds on May 18. More than 300 vehicles are expected, from 1930s roadsters to muscle cars of the 1970s. Visitors can vote for their favorite car, watch a restoration demonstration and enjoy food from local vendors. Admission is 10 dollars for adults and free for children under 12. Proceeds go to the volunteer fire department."""),
("gen", """Review: Lost Harbor (novel)

Lost Harbor is a slow-burning mystery set in a fishing village on the coast of Maine. When a young journalist returns home to investigate the disappearance of a fisherman, she uncovers secrets her own family has kept for forty years. The author's descriptions of fog, sea and small-town gossip are wonderful, and the characters feel real. The middle section drags a little, but the final hundred pages are impossible to put down. Recommended for fans of atmospheric crime fiction."""),
("gen", """Learn Python in 30 days: day 7 - lists and loops

Today we look at lists, one of Python's most useful data types. A list is an ordered collection written with square brackets, for example fruits = ["apple", "banana", "cherry"]. You can access items by index, starting from zero, so fruits[0] is "apple". Use append() to add an item and remove() to delete one. To repeat an action for every item, use a for loop: for fruit in fruits: print(fruit). Exercise: write a program that asks the user for five numbers, stores them in a list and prints the largest one."""),
("gen", """Hotel review: Seaside Inn

We stayed four nights at the Seaside Inn in July. The room was clean and spacious with a balcony facing the sea. Breakfast was simple but fresh, with local pastries and good coffee. Staff were friendly and gave us great restaurant tips. The only downside was the noise from the bar downstairs on Friday night. The beach is a two-minute walk away. We would definitely come back."""),
("gen", """Tonight: community quiz night at the Red Lion, 8pm, teams of up to six. Prizes!"""),
("gen", """A short history of the bicycle

The first two-wheeled machine, the "running machine" invented by Karl Drais in 1817, had no pedals: riders pushed themselves along with their feet. In the 1860s French makers added pedals to the front wheel, creating the velocipede, nicknamed the boneshaker because of its iron tires. The high-wheel "penny-farthing" of the 1870s was faster but dangerous. The safety bicycle of the 1880s, with two wheels of equal size and a chain drive to the rear wheel, set the basic design we still use today. The invention of the pneumatic tire by John Boyd Dunlop in 1888 made cycling comfortable, and a cycling boom swept Europe and America in the 1890s.

Bicycles changed society. They gave ordinary workers a cheap way to travel beyond their neighborhood and played a role in the emancipation of women, who adopted more practical clothing in order to ride. Many early car and aircraft pioneers, including the Wright brothers, began as bicycle mechanics. Road racing also grew rapidly, and the first Tour de France was held in 1903.

In the twentieth century, cars replaced bicycles as the main form of transport in many countries, but cycling remained essential in the Netherlands, Denmark, China and elsewhere. Derailleur gears, lightweight aluminum and carbon frames and mountain bikes in the 1980s created new ways to ride. Today, electric bikes and bike-sharing systems are bringing bicycles back into city centers, and many cities are building protected cycle lanes to reduce traffic and pollution.

The design of the bicycle continues to evolve. Disc brakes, once found only on motorcycles, are now standard on many road bikes because they stop reliably in the rain. Tubeless tires reduce punctures, and electronic gear shifting changes gears with the press of a button. Cargo bikes with a large box in front are replacing the second family car in some European cities, carrying children, shopping and even furniture.

Collectors, meanwhile, search flea markets and online auctions for vintage frames from famous builders. A well-restored steel racing bike from the 1970s, with its original components and hand-painted lettering, can sell for thousands of dollars. Museums in Germany, the Netherlands and the United States display early running machines, boneshakers and penny-farthings, reminding visitors how far the humble bicycle has come in two hundred years.

Cycling as a sport has its own rich history. Track racing drew huge crowds to velodromes in the early twentieth century, and six-day races in New York's Madison Square Garden were among the most popular events of the 1920s. The great stage races of Italy, France and Spain turned riders such as Fausto Coppi, Eddy Merckx and Bernard Hinault into national heroes. Since the 1990s mountain biking and BMX have joined the Olympic program, and gravel racing on unpaved country roads has become one of the fastest-growing disciplines."""),
("gen", """Apartment for rent: bright two-bedroom apartment on the third floor, close to the train station and shops. Renovated kitchen with dishwasher, new bathroom with walk-in shower, wooden floors and a small balcony facing the park. Heating included in the rent. Available from June 1. Rent: 1,150 dollars per month plus utilities, one-month deposit. No smoking. Contact the landlord by phone or email to arrange a viewing."""),
]

NEAR_DUP["en"] = (2, [("silent killer", "quiet killer"), ("Check your blood pressure regularly", "Measure your blood pressure often")])
EXACT_DUP["en"] = 0

# ---------------------------------------------------------------- zh
DOCS["zh"] = [
("med", """高血压患者须知

高血压是最常见的慢性病之一，是脑卒中、冠心病、心力衰竭和慢性肾脏病的主要危险因素。在未使用降压药物的情况下，非同日三次测量诊室血压，收缩压≥140 mmHg和（或）舒张压≥90 mmHg，即可诊断为高血压。多数患者早期没有明显症状，部分人可出现头晕、头痛、心悸、耳鸣等表现。

治疗包括生活方式干预和药物治疗。建议减少食盐摄入，每天不超过5克；控制体重，戒烟限酒，规律运动。常用降压药包括钙通道阻滞剂、血管紧张素转换酶抑制剂（ACEI）、血管紧张素Ⅱ受体拮抗剂（ARB）、利尿剂和β受体阻滞剂。患者应坚持长期服药，不可自行停药，并定期监测血压。若出现剧烈头痛、胸痛、呼吸困难或肢体无力，应立即就医。"""),
("med", """阿莫西林胶囊说明书

【适应症】本品适用于敏感菌所致的下列感染：中耳炎、鼻窦炎、咽炎、扁桃体炎等上呼吸道感染；急性支气管炎、肺炎等下呼吸道感染；泌尿生殖道感染；皮肤软组织感染。亦可与克拉霉素、质子泵抑制剂联合用于根除胃、十二指肠幽门螺杆菌。

【用法用量】口服。成人一次0.5克，每6～8小时1次，一日剂量不超过4克。肾功能严重损害患者需调整给药剂量。

【不良反应】常见恶心、呕吐、腹泻等胃肠道反应及皮疹、药物热和哮喘等过敏反应；偶见血清转氨酶轻度增高、嗜酸性粒细胞增多和白细胞降低。

【禁忌】青霉素过敏及青霉素皮肤试验阳性患者禁用。传染性单核细胞增多症患者应避免使用。"""),
("med", """糖尿病的诊断与治疗

糖尿病是一组以高血糖为特征的代谢性疾病，主要分为1型糖尿病、2型糖尿病、妊娠糖尿病和特殊类型糖尿病。典型症状为“三多一少”，即多饮、多尿、多食和体重减轻。空腹血糖≥7.0 mmol/L、餐后2小时血糖≥11.1 mmol/L或糖化血红蛋白≥6.5%可诊断糖尿病。2型糖尿病的一线用药为二甲双胍，必要时联合磺脲类、DPP-4抑制剂、SGLT2抑制剂、GLP-1受体激动剂或胰岛素。长期高血糖可引起糖尿病肾病、视网膜病变、周围神经病变和糖尿病足，患者应定期复查眼底、尿微量白蛋白和足部情况。"""),
("med", """心血管内科简介

我院心血管内科是省级重点专科，开放床位120张，设有冠心病监护病房（CCU）、心导管室和心脏康复中心。科室主要诊治冠心病、急性心肌梗死、心力衰竭、高血压、心律失常、心肌病、心脏瓣膜病和先天性心脏病等疾病。

胸痛中心：科室牵头建设的胸痛中心实行24小时值班制度，急性ST段抬高型心肌梗死患者从进入医院大门到球囊扩张的时间控制在90分钟以内。每年完成冠状动脉造影3000余例、经皮冠状动脉介入治疗（PCI）1500余例，包括慢性完全闭塞病变、左主干病变和分叉病变的复杂介入治疗，并开展血管内超声和血流储备分数测定。

心律失常诊疗：开展心房颤动、室上性心动过速、室性早搏的射频消融和冷冻球囊消融术，植入永久心脏起搏器、植入式心律转复除颤器（ICD）和心脏再同步化治疗（CRT）装置。对病态窦房结综合征和高度房室传导阻滞患者提供规范化起搏治疗。

心力衰竭管理：设立心衰专病门诊，由专科医生和护士对射血分数降低的心衰患者进行随访，规范使用血管紧张素受体脑啡肽酶抑制剂、β受体阻滞剂、醛固酮受体拮抗剂和SGLT2抑制剂，定期监测血压、心率、肾功能和血钾，降低再住院率。

结构性心脏病：开展经导管主动脉瓣置换术（TAVR）、左心耳封堵术、房间隔缺损和动脉导管未闭封堵术，为高龄、手术风险高的主动脉瓣狭窄患者提供微创治疗选择。

心脏康复：急性心肌梗死、PCI术后、冠状动脉旁路移植术后及慢性心力衰竭患者，可在心脏康复中心接受为期12周的康复治疗。康复团队由心内科医生、康复治疗师、营养师和心理咨询师组成，通过心肺运动试验评估运动耐量，制定个体化运动处方，并进行饮食指导、戒烟干预和焦虑抑郁筛查。研究表明，规范的心脏康复可以降低心血管死亡率和再住院率，改善生活质量。

预防门诊：许多心血管事件是可以预防的。预防门诊面向高血压、血脂异常、家族性高胆固醇血症、糖尿病和肥胖人群，评估十年动脉粥样硬化性心血管疾病风险，必要时使用他汀类药物、依折麦布或PCSK9抑制剂降低低密度脂蛋白胆固醇。医生还会指导患者识别心绞痛和心肌梗死的预警症状，做到早发现、早治疗。

护理特色：CCU实行责任制整体护理，护士经过专科培训，熟练掌握心电监护、除颤、临时起搏和主动脉内球囊反搏的护理。出院前，护士为每位患者进行用药和自我管理教育，包括每日监测体重和血压、限制钠盐和液体摄入，以及抗血小板药物的规范服用。

门诊时间：周一至周日全天开诊。如突发胸痛、胸闷、大汗、呼吸困难或晕厥，请立即拨打120急救电话，切勿自行驾车就医。"""),
("med", """小儿肺炎的家庭护理

肺炎是儿童住院最常见的原因之一，常见病原体包括肺炎链球菌、流感嗜血杆菌、呼吸道合胞病毒和肺炎支原体。患儿表现为发热、咳嗽、气促，严重时出现鼻翼扇动、三凹征和口唇发绀。医生会根据听诊、血常规、C反应蛋白和胸部X线片作出诊断。细菌性肺炎需遵医嘱使用抗生素，支原体肺炎首选大环内酯类药物。家长应保持室内空气流通，让孩子多喝水，按时服药，注意观察呼吸频率和精神状态。如孩子出现呼吸急促、拒奶、嗜睡或持续高热，应及时到儿科急诊就诊。"""),
("med", """脑卒中的早期识别

脑卒中俗称“中风”，分为缺血性脑卒中（脑梗死）和出血性脑卒中（脑出血）。可用“中风120”口诀快速识别：“1”看一张脸，是否口角歪斜；“2”查两只胳膊，平举时是否一侧无力；“0”聆听语言，是否言语不清。出现上述症状应立即拨打120。急性缺血性脑卒中在发病4.5小时内可进行静脉溶栓治疗，大血管闭塞患者可行机械取栓。高血压、糖尿病、心房颤动、高脂血症和吸烟是主要危险因素。"""),
("med", """我国科研团队发布肝癌早筛研究新成果

近日，一项发表于国际医学期刊的多中心研究显示，基于血液游离DNA甲基化标志物的检测方法可在慢性乙型肝炎和肝硬化人群中发现早期肝细胞癌，灵敏度超过80%，特异性约为95%。我国是肝癌高发国家，乙型肝炎病毒感染是最主要的病因，多数患者确诊时已处于中晚期，错过了手术切除和肝移植的机会。研究人员表示，该方法有望与超声和甲胎蛋白检测联合使用，提高高危人群的筛查效率。专家提醒，乙肝患者应规律抗病毒治疗，每6个月复查肝脏超声和甲胎蛋白。"""),
("med", """缺铁性贫血是最常见的贫血类型，多见于育龄女性、孕妇、婴幼儿和慢性失血患者。常见病因包括月经过多、消化道出血、钩虫病、摄入不足和吸收障碍。患者可出现乏力、头晕、面色苍白、心悸、指甲变脆或反甲。血常规表现为小细胞低色素性贫血，血清铁蛋白降低。治疗以口服铁剂为主，同时服用维生素C可促进吸收，避免与浓茶同服。重要的是查明并去除病因，中老年患者应行胃镜和结肠镜检查排除消化道肿瘤。"""),
("med", """急性阑尾炎典型表现为转移性右下腹痛，起初为上腹部或脐周疼痛，数小时后转移至右下腹，可伴恶心、呕吐和发热。查体右下腹麦氏点压痛、反跳痛。血常规白细胞和中性粒细胞升高。确诊后一般应尽早行阑尾切除术，目前多采用腹腔镜手术。延误治疗可导致阑尾穿孔和弥漫性腹膜炎。"""),
("med", """幽门螺杆菌感染问答

问：幽门螺杆菌是什么？答：幽门螺杆菌是一种寄生在胃黏膜的细菌，可引起慢性胃炎、消化性溃疡，并与胃癌和胃黏膜相关淋巴组织淋巴瘤密切相关。

问：怎么检查？答：常用碳13或碳14尿素呼气试验，无创、准确；胃镜检查时也可取胃黏膜做快速尿素酶试验。检查前需停用质子泵抑制剂至少2周、停用抗生素和铋剂至少4周。

问：怎么治疗？答：目前推荐铋剂四联疗法，即质子泵抑制剂加铋剂加两种抗生素，疗程10～14天。治疗结束4周后应复查呼气试验确认是否根除。家庭成员建议分餐或使用公筷，减少传播。"""),
("med", """抑郁症不是“想不开”。抑郁症是一种常见的精神疾病，主要表现为持续两周以上的情绪低落、兴趣减退、精力下降，可伴有失眠或嗜睡、食欲改变、注意力不集中、自责自罪，严重者出现自杀观念。其发病与遗传、神经递质失衡和社会心理因素有关。治疗方法包括心理治疗和药物治疗，常用抗抑郁药为选择性5-羟色胺再摄取抑制剂，如舍曲林、艾司西酞普兰，一般服药2～4周起效，症状缓解后还需维持治疗，切勿擅自停药。"""),
("med", """胃镜检查注意事项

胃镜检查是诊断食管炎、胃炎、胃溃疡、十二指肠溃疡和上消化道肿瘤最直接的方法，可同时进行活检和幽门螺杆菌检测。检查前一天晚餐后禁食，检查当日早晨禁食禁水。高血压患者可于检查前2小时用少量清水服降压药；服用阿司匹林、氯吡格雷或华法林等抗血小板、抗凝药物者，应提前告知医生。无痛胃镜需有家属陪同，检查后当天不得驾车。术后2小时后可饮水，当天宜进食温凉流质或半流质。如出现剧烈腹痛、呕血或黑便，应立即返院。"""),
("med", """本市进入流感高发期 专家提醒高危人群及时接种疫苗

市疾控中心监测数据显示，近两周全市流感样病例就诊比例明显上升，以甲型H1N1流感为主。流感典型症状为突发高热、头痛、全身肌肉酸痛和乏力，可伴咽痛、咳嗽。老年人、婴幼儿、孕妇及患有慢性心肺疾病、糖尿病的人群容易发展为重症肺炎。专家建议，出现症状后48小时内在医生指导下使用奥司他韦等抗病毒药物效果最好。接种流感疫苗是预防流感最有效的手段，同时应勤洗手、戴口罩、保持室内通风。"""),
("med", """痛风是由于嘌呤代谢紊乱、血尿酸升高，尿酸盐结晶沉积于关节及周围组织引起的炎症性疾病。急性发作多在夜间，第一跖趾关节突然出现红、肿、热、痛。饮酒、高嘌呤饮食（如动物内脏、海鲜、浓肉汤）和含糖饮料可诱发发作。急性期可用非甾体抗炎药、秋水仙碱或糖皮质激素止痛消炎；缓解期使用别嘌醇或非布司他降尿酸，目标血尿酸低于360 μmol/L。"""),
("border", """城市马拉松鸣枪开跑 三万名跑者参赛

昨日清晨，2023城市马拉松在市民广场鸣枪开跑，来自全国各地的三万名跑者参加了全程、半程和迷你跑三个项目。男子全程冠军由肯尼亚选手以2小时10分的成绩获得，女子组冠军由本土选手夺得。赛事组委会在沿途设置了20个补给站，并安排医疗志愿者和救护车全程保障，一名跑者在终点附近出现抽筋，经现场处置后无大碍。赛后，不少市民在滨江大道观赛加油，气氛热烈。"""),
("border", """跑步新手如何看心率？

很多人买了运动手表，却不知道心率数据怎么用。一个简单的估算方法是：最大心率约等于220减去年龄。慢跑时心率保持在最大心率的60%～70%，能边跑边说话，是打基础最好的强度。别太在意某一天的数据，睡眠不足、天气炎热、喝了咖啡都会让心率偏高。坚持每周跑三到四次，循序渐进增加距离，三个月后你会发现同样配速下心率明显降低。"""),
("border", """家常番茄炖牛腩（健康又下饭）

牛腩切块冷水下锅焯水，撇去浮沫后捞出。锅中放少许油，加入葱姜和八角炒香，放入牛腩翻炒，加生抽和少许老抽上色。倒入开水没过牛肉，小火炖一个半小时。番茄切块，一半先下锅炒出沙，另一半最后放入，再炖二十分钟，加盐调味即可。这道菜少油少盐，番茄酸甜开胃，非常适合全家人一起吃。"""),
("border", """知名演员因病暂停工作

某知名演员的工作室昨日发布声明称，该演员近期因身体不适入院治疗，将暂停所有拍摄和商业活动，原定于下月举行的新片宣传活动也将延期。声明表示，目前演员情况稳定，感谢粉丝们的关心，并请大家不要传播不实信息。该演员主演的电视剧去年播出后收视率位居同时段第一。"""),
("border", """新公交线路下月开通

市交通运输局宣布，新开通的236路公交车将于下月1日正式运营，线路全长18公里，途经火车站、市第一人民医院、科技园和大学城，设站25个。首末班时间为早6点至晚10点，高峰期发车间隔8分钟。该线路开通后，将方便城北居民出行和就医。"""),
("border", """上班族的护眼小技巧：每看屏幕20分钟，就抬头看20英尺（约6米）外的物体20秒。屏幕亮度与环境光一致，屏幕上缘略低于眼睛水平。多眨眼，必要时使用人工泪液。"""),
("border", """办公室久坐族的午间拉伸

长时间坐在电脑前，脖子和肩膀容易僵硬。午休时不妨花十分钟做做拉伸：先缓慢转动头部，左右各五圈；然后双手十指交叉向上伸展，保持十秒；再把右手搭在左肩，轻轻向右拉伸手臂。坐着时注意挺直腰背，双脚平放地面。这些小动作简单易学，坚持下来会感觉精神好很多。"""),
("gen", """新款手机上手体验

这款手机采用6.7英寸OLED屏幕，支持120Hz高刷新率，日常滑动非常流畅。处理器性能强劲，运行大型游戏半小时机身温度控制得不错。5000毫安时电池加上67W快充，大约40分钟就能充满。主摄为5000万像素，白天拍照细节丰富，夜景模式略有涂抹。整体来看，这款手机在同价位中性价比很高，适合注重续航和屏幕的用户。"""),
("gen", """联赛第20轮：主队两球战胜客队

在昨晚进行的联赛第20轮比赛中，主队凭借下半场的两粒进球以2比0战胜客队，取得三连胜。上半场双方互有攻守，均未能取得进球。第58分钟，主队前锋接队友传中头球破门；第81分钟，替补登场的年轻中场远射再下一城。赛后主教练表示，球队的防守越来越稳固，下一场客场比赛将全力争取三分。目前主队以41分位列积分榜第三。"""),
("gen", """成都三日游攻略

第一天可以去大熊猫繁育研究基地，建议早上八点前到，熊猫上午最活跃。下午逛宽窄巷子和人民公园，在茶馆喝一碗盖碗茶，体验成都人的慢生活。晚上去锦里和武侯祠，夜景很美。第二天前往都江堰，了解两千多年前的水利工程，再去青城山爬山。第三天逛春熙路和太古里，吃火锅、串串、钟水饺和担担面。成都地铁很方便，景点基本都能直达。"""),
("gen", """红烧肉的做法

五花肉切成三厘米见方的块，冷水下锅焯水后洗净。锅中放少量油和冰糖，小火炒出焦糖色，放入五花肉翻炒均匀，加料酒、生抽、老抽、葱段、姜片和八角。加入开水没过肉，大火烧开后转小火炖一个小时，最后大火收汁即可。做好的红烧肉色泽红亮，肥而不腻。"""),
("gen", """央行宣布下调存款准备金率

中国人民银行宣布，自下月起下调金融机构存款准备金率0.25个百分点，预计释放长期资金约5000亿元。分析人士认为，此举有助于保持流动性合理充裕，降低银行资金成本，支持实体经济发展。消息公布后，A股市场三大指数小幅高开，银行和地产板块表现活跃。"""),
("gen", """出售二手书桌，九成新，自提，价格面议。"""),
("gen", """阳台种菜入门

在阳台种菜并不难。首先选择光照充足的位置，每天至少有四到六个小时的日照。容器可以用花盆、泡沫箱或种植袋，底部要有排水孔。新手推荐种小白菜、生菜、小葱和樱桃萝卜，生长周期短，容易成功。土壤选择疏松透气的营养土，浇水要见干见湿，夏天早晚各浇一次。每隔两周追施一次稀释的有机肥。"""),
("gen", """无线耳机横评：五款热门产品怎么选

我们用了一个月时间，在通勤、跑步和办公场景下测试了五款价格从200元到2000元不等的真无线耳机。高端款的主动降噪效果最好，在地铁上几乎听不到噪音，音质也最均衡；入门款低音浑厚，连接稳定，但通话时风噪较大。续航方面，单次使用时间从5小时到9小时不等。如果你使用苹果手机，建议选择支持无缝切换的型号；安卓用户可以选择支持自定义均衡器的产品。"""),
("gen", """本区中小学新学期安排公布

区教育局日前公布了新学期校历。秋季学期于9月1日开学，寒假自次年1月20日开始。今年新增两天教师培训日，分别安排在10月和12月。家长可登录区教育局官网下载完整校历，并关注学校发布的开学准备通知。"""),
("gen", """关于我们

本店成立于1998年，最初是一家只有十平方米的五金小店，主要销售钉子、油漆和园艺工具。二十多年来，我们已发展成为拥有三家门店的家居建材连锁店，但始终坚持同一个理念：由懂行的人提供真诚的建议。无论您需要一颗螺丝还是整套厨房装修方案，我们的店员都会帮您找到合适的工具和材料。欢迎到店参观，茶水免费。"""),
("gen", """少儿围棋比赛圆满落幕

上周末，市少儿围棋锦标赛在市青少年宫举行，共有来自全市的400余名小棋手参赛。经过七轮激烈角逐，10岁的小选手李明以全胜战绩获得少年组冠军。组委会表示，近年来学习围棋的孩子越来越多，围棋不仅能培养孩子的专注力，还能锻炼逻辑思维能力。"""),
("gen", """明日天气：多云转小雨，气温18到24度，东南风三级。"""),
("gen", """理财入门：如何做家庭预算

做预算的第一步是弄清楚每月的税后收入。然后列出固定支出，比如房租、水电燃气、保险和贷款还款；再记录一个月的日常开销，包括餐饮、交通和娱乐。很多人会惊讶地发现，奶茶和外卖花掉了不少钱。常用的“50/30/20”法则是：50%用于必要开支，30%用于个人消费，20%用于储蓄和还债。建议先存够三到六个月生活费作为应急资金，再考虑投资理财。"""),
("gen", """商品详情：户外登山包45升

本款登山包适合多日徒步，采用可调节背负系统和加厚腰带，腰带两侧带拉链口袋。内置水袋仓，可容纳3升水袋；底部配有防雨罩。主仓支持顶部和正面开启，两侧压缩带可稳定负重。面料为防撕裂尼龙，具有防泼水涂层。重量1.4公斤，有绿色、灰色和橙色三种颜色可选。"""),
("gen", """老爷车展五月回归

停办三年后，春季老爷车展将于5月18日在会展中心重新举办。预计将展出300多辆经典车辆，从上世纪三十年代的敞篷跑车到七十年代的肌肉车应有尽有。观众可以为自己最喜欢的车投票，观看修复演示，还可以品尝各地美食。成人门票50元，12岁以下儿童免费。"""),
("gen", """书评：《远方的港口》

这是一部节奏舒缓的悬疑小说，故事发生在东南沿海的一个渔村。一位年轻记者回到家乡调查一名渔民的失踪案，却意外揭开了自己家族隐藏了四十年的秘密。作者对海雾、渔船和小镇人情的描写非常细腻，人物形象鲜活。中间部分稍显拖沓，但最后一百页让人欲罢不能。推荐给喜欢氛围感推理小说的读者。"""),
("gen", """Python入门第七天：列表与循环

今天我们学习Python中最常用的数据类型之一——列表。列表用方括号表示，例如 fruits = ["苹果", "香蕉", "樱桃"]。可以通过索引访问元素，索引从0开始，所以 fruits[0] 是“苹果”。使用 append() 添加元素，使用 remove() 删除元素。如果想对每个元素执行相同的操作，可以使用 for 循环。练习：编写一个程序，让用户输入五个数字，存入列表后输出其中最大的一个。"""),
("gen", """酒店点评：海边的小旅馆

七月份我们在这家旅馆住了四晚。房间干净宽敞，带一个朝海的阳台。早餐简单但新鲜，有当地的点心和不错的咖啡。前台工作人员很热情，推荐了好几家地道的海鲜餐馆。唯一的缺点是周五晚上楼下酒吧有点吵。走两分钟就到海滩，下次还会再来。"""),
("gen", """今晚八点社区文化中心举办知识竞赛，每队最多六人，欢迎报名！"""),
("gen", """自行车简史

世界上第一辆两轮车是德国人德莱斯在1817年发明的“跑步机”，它没有脚踏板，骑车人需要用脚蹬地前进。十九世纪六十年代，法国人在前轮上加装了脚踏板，这种车因为铁制车轮颠簸得厉害，被戏称为“震骨车”。七十年代出现的高轮车速度更快，但很容易摔倒。八十年代，前后轮大小相同、用链条驱动后轮的“安全自行车”诞生，奠定了今天自行车的基本结构。1888年，邓禄普发明了充气轮胎，骑车变得舒适，欧美很快掀起了自行车热潮。

自行车改变了社会。它让普通工人能够以很低的成本走出自己的街区，也在妇女解放运动中发挥了作用——为了骑车，女性开始穿更方便的服装。许多汽车和飞机的先驱者，包括莱特兄弟，最初都是自行车修理工。公路自行车赛也迅速发展，第一届环法自行车赛于1903年举行。

在中国，自行车曾被称为“三大件”之一，和手表、缝纫机一起是家庭重要的财产。上世纪八十年代，北京长安街上早晚高峰时段自行车如潮水般涌动，中国因此被称为“自行车王国”。“永久”“凤凰”“飞鸽”等品牌家喻户晓，一辆新车往往要攒好几个月的工资才能买到。

二十世纪后期，汽车逐渐取代自行车成为许多国家的主要交通工具，但在荷兰、丹麦等国家，骑车依然是日常出行的首选。变速器、铝合金和碳纤维车架以及山地车的出现，让骑行有了更多玩法。进入二十一世纪，电动自行车和共享单车让自行车重新回到城市中心，越来越多的城市开始修建专用自行车道，以缓解交通拥堵、减少空气污染。

如今，骑行也成为一种流行的休闲方式。周末，城市周边的绿道上常常能看到成群结队的骑友；环青海湖、川藏线等长途骑行路线吸引了大量爱好者。收藏老式自行车的人也越来越多，一辆保存完好的老“二八大杠”在二手市场上可以卖出不错的价格。

自行车运动本身也有着悠久的历史。二十世纪初，场地自行车赛在欧美吸引了大批观众；环法、环意和环西班牙三大环赛造就了一代又一代的传奇车手。上世纪九十年代以后，山地自行车和小轮车先后进入奥运会。近年来，在乡村砂石路上进行的“砾石骑行”迅速流行，越来越多的年轻人开始购买公路车和山地车，把骑行当作一种生活方式。"""),
("gen", """房屋出租：两室一厅，三楼，南北通透，近地铁站和超市。厨房新装修，带洗碗机；卫生间干湿分离，木地板，小阳台朝向公园。租金含暖气费，6月1日起可入住。月租3500元，押一付三，不可吸烟。有意者请电话联系房东预约看房。"""),
]

NEAR_DUP["zh"] = (2, [("多饮、多尿、多食", "口干多饮、多尿、多食"), ("定期复查", "按时复查")])
EXACT_DUP["zh"] = 0

# ---------------------------------------------------------------- ja
DOCS["ja"] = [
("med", """高血圧症について

高血圧症は、血圧が慢性的に高い状態が続く病気で、日本では約4300万人が該当すると推定されています。診察室血圧で収縮期血圧140mmHg以上、または拡張期血圧90mmHg以上の場合に高血圧と診断されます。自覚症状がほとんどないまま進行し、脳卒中、心筋梗塞、心不全、慢性腎臓病などの合併症を引き起こすことから「サイレントキラー」とも呼ばれます。

治療の基本は生活習慣の改善です。食塩摂取量を1日6g未満に抑え、野菜や果物を積極的にとり、適正体重の維持、節酒、禁煙、有酸素運動を心がけましょう。降圧薬としては、カルシウム拮抗薬、アンジオテンシンII受容体拮抗薬（ARB）、ACE阻害薬、利尿薬などが用いられます。家庭血圧を毎日測定し、受診時に医師に伝えることが大切です。"""),
("med", """【患者向け医薬品ガイド】ロキソプロフェンナトリウム錠60mg

この薬は、炎症や痛みの原因となるプロスタグランジンの生成を抑え、痛みや発熱、炎症をやわらげる非ステロイド性抗炎症薬（NSAIDs）です。関節リウマチ、変形性関節症、腰痛症、歯痛、手術後や外傷後の痛み、急性上気道炎の解熱・鎮痛に用いられます。

次の人は使用できません：消化性潰瘍のある人、重篤な腎機能障害・肝機能障害のある人、アスピリン喘息またはその既往のある人、妊娠末期の人。

主な副作用として、胃部不快感、腹痛、吐き気、むくみ、発疹があります。まれに、消化管出血、ショック、急性腎障害、喘息発作が起こることがあります。黒色便、息苦しさ、尿量の減少などがあらわれた場合は、ただちに医師または薬剤師に相談してください。空腹時を避けて服用してください。"""),
("med", """糖尿病とは

糖尿病は、インスリンの作用不足により血糖値が慢性的に高くなる病気です。膵臓のβ細胞が破壊されてインスリンがほとんど分泌されなくなる1型糖尿病と、遺伝的素因に過食や運動不足、肥満が加わって発症する2型糖尿病があります。口渇、多飲、多尿、体重減少などの症状がみられますが、初期には無症状のことも少なくありません。空腹時血糖126mg/dL以上、HbA1c6.5%以上などで診断されます。治療は食事療法と運動療法が基本で、必要に応じてメトホルミン、DPP-4阻害薬、SGLT2阻害薬、GLP-1受容体作動薬、インスリン注射などを使用します。高血糖が続くと網膜症、腎症、神経障害の三大合併症や動脈硬化が進行するため、定期的な眼科受診と尿検査が欠かせません。"""),
("med", """循環器内科のご案内

当院循環器内科では、狭心症・心筋梗塞などの虚血性心疾患、心不全、不整脈、心臓弁膜症、心筋症、大動脈疾患、末梢動脈疾患など、心臓と血管の病気を幅広く診療しています。救急部と連携し、急性心筋梗塞や急性大動脈解離などの緊急疾患に24時間365日対応しています。

検査体制：心電図、ホルター心電図、心臓超音波検査（経胸壁・経食道）、運動負荷試験、冠動脈CT、心臓MRI、心筋シンチグラフィーなどを実施しています。冠動脈CTでは、カテーテルを使わずに冠動脈の狭窄を評価することができます。

カテーテル治療：心臓カテーテル室では、冠動脈造影検査と経皮的冠動脈インターベンション（PCI）を年間約800件行っています。急性心筋梗塞の患者さんには、来院から再灌流までの時間を90分以内にすることを目標にしています。また、下肢閉塞性動脈硬化症に対する血管内治療も行っています。

不整脈治療：心房細動、発作性上室頻拍、心室頻拍に対するカテーテルアブレーション、ペースメーカー植込み術、植込み型除細動器（ICD）や心臓再同期療法（CRT）の植込みを行っています。心房細動の患者さんには、脳梗塞予防のための抗凝固療法についても丁寧にご説明します。

心不全診療：心不全は高齢化に伴い急増しています。当科では医師、看護師、薬剤師、管理栄養士、理学療法士による多職種チームで、薬物療法の最適化、塩分・水分管理の指導、心臓リハビリテーションを行い、再入院の予防に取り組んでいます。

構造的心疾患：重症大動脈弁狭窄症に対する経カテーテル大動脈弁留置術（TAVI）や、心房細動患者さんの左心耳閉鎖術を心臓血管外科と共同で実施しています。

受診について：初診の方は紹介状をお持ちください。胸痛、息切れ、動悸、失神などの症状が急に出現した場合は、ためらわず救急車を呼んでください。"""),
("med", """子どもの気管支喘息

気管支喘息は、気道に慢性的な炎症があり、ウイルス感染、ダニ、ハウスダスト、ペットの毛、タバコの煙、運動、気温の変化などをきっかけに気道が狭くなり、咳、ゼーゼー・ヒューヒューという喘鳴、呼吸困難を繰り返す病気です。発作時には短時間作用性β2刺激薬の吸入で気管支を広げます。発作を繰り返す場合は、吸入ステロイド薬やロイコトリエン受容体拮抗薬による長期管理が必要です。小さなお子さんにはスペーサーを使うと薬が効率よく気道に届きます。唇の色が悪い、話せないほど苦しい、横になれないといった症状があれば、すぐに救急外来を受診してください。"""),
("med", """脳卒中の早期発見

脳卒中には、脳の血管が詰まる脳梗塞と、血管が破れる脳出血、くも膜下出血があります。顔の片側が下がる、片方の腕に力が入らない、言葉がうまく出ない、といった症状が突然現れたら脳卒中を疑い、すぐに119番通報してください。脳梗塞では発症から4.5時間以内であれば血栓溶解療法（rt-PA静注療法）が可能で、太い血管の閉塞には血管内治療による血栓回収療法が行われます。高血圧、糖尿病、脂質異常症、心房細動、喫煙が主な危険因子です。"""),
("med", """帯状疱疹ワクチン、定期接種化へ　65歳以上が対象

厚生労働省の専門家会議は、帯状疱疹ワクチンを予防接種法に基づく定期接種の対象とする方針を了承した。帯状疱疹は、子どもの頃にかかった水痘（水ぼうそう）の原因である水痘・帯状疱疹ウイルスが神経節に潜伏し、加齢やストレスによる免疫力の低下で再活性化して発症する。体の片側に帯状の痛みを伴う発疹や水疱が現れ、皮疹が治った後も帯状疱疹後神経痛が長く続くことがある。80歳までに約3人に1人が発症するとされる。専門家は、抗ウイルス薬による早期治療とともにワクチンによる予防が重要だと指摘している。"""),
("med", """鉄欠乏性貧血は、体内の鉄が不足してヘモグロビンを十分に作れなくなることで起こる貧血で、月経のある女性や妊婦、成長期の子どもに多くみられます。過多月経、消化管からの出血、偏った食事が主な原因です。症状は疲れやすさ、息切れ、動悸、顔色不良、爪がスプーン状に反るなどです。血液検査で小球性低色素性貧血と血清フェリチンの低下を確認します。治療は鉄剤の内服が基本で、胃腸症状が強い場合は静注鉄剤を用います。中高年では胃がんや大腸がんによる出血が隠れていることがあり、内視鏡検査が勧められます。"""),
("med", """急性虫垂炎（いわゆる盲腸）は、みぞおちやへその周りの痛みから始まり、数時間のうちに右下腹部へ痛みが移動するのが特徴です。吐き気、嘔吐、発熱を伴うことが多く、血液検査で白血球とCRPの上昇がみられます。腹部超音波検査やCT検査で診断し、多くの場合は腹腔鏡下虫垂切除術を行います。治療が遅れると虫垂が穿孔し、腹膜炎を起こすことがあります。"""),
("med", """ピロリ菌の検査と除菌治療

ヘリコバクター・ピロリは胃の粘膜にすみつく細菌で、慢性胃炎、胃潰瘍、十二指腸潰瘍の原因となり、胃がんの最大の危険因子です。検査には尿素呼気試験、便中抗原検査、血中抗体検査、内視鏡での迅速ウレアーゼ試験などがあります。除菌治療では、胃酸分泌抑制薬（ボノプラザンまたはプロトンポンプ阻害薬）とアモキシシリン、クラリスロマイシンの3剤を1週間内服します。服用終了から4週間以上あけて除菌判定を行います。下痢や味覚異常、発疹などの副作用が出ることがあります。"""),
("med", """うつ病は、気分の落ち込みや興味・喜びの喪失が2週間以上続き、日常生活に支障をきたす病気です。不眠や過眠、食欲の変化、疲れやすさ、集中力の低下、自分を責める気持ち、死にたいという気持ちがみられることもあります。治療は十分な休養、精神療法、抗うつ薬による薬物療法が中心で、選択的セロトニン再取り込み阻害薬（SSRI）やSNRIがよく使われます。抗うつ薬は効果が出るまで2～4週間かかることが多く、自己判断で中断しないことが大切です。"""),
("med", """大腸内視鏡検査を受ける方へ

大腸内視鏡検査は、肛門から内視鏡を挿入して直腸から盲腸までの大腸全体を観察する検査です。大腸ポリープ、大腸がん、潰瘍性大腸炎、クローン病などの診断に有用で、検査中にポリープを切除することもできます。前日は消化のよい食事をとり、当日は腸管洗浄剤を約2リットル服用して腸の中をきれいにします。抗血小板薬や抗凝固薬を服用中の方、糖尿病でインスリンを使用中の方は、事前に必ず医師にお知らせください。鎮静剤を使用した場合、当日は車の運転はできません。検査後に強い腹痛や多量の下血があれば、すぐにご連絡ください。"""),
("med", """麻しん患者、県内で相次ぐ　ワクチン接種を呼びかけ

県は、今月に入り麻しん（はしか）の患者が5人確認されたと発表した。いずれも海外渡航歴のある患者との接触があったという。麻しんは空気感染するウイルス感染症で、感染力が非常に強い。38度以上の発熱、咳、鼻水、結膜充血が数日続いた後、口の中にコプリック斑と呼ばれる白い斑点が現れ、全身に発疹が広がる。肺炎や中耳炎、まれに脳炎を合併することがある。県は、麻しん風しん混合（MR）ワクチンを2回接種していない人に接種を検討するよう呼びかけている。"""),
("med", """痛風は、血液中の尿酸値が高い状態（高尿酸血症）が続き、関節に尿酸塩結晶がたまって激しい炎症を起こす病気です。足の親指の付け根が突然赤く腫れ、歩けないほど痛むのが典型的な発作です。発作時には非ステロイド性抗炎症薬やコルヒチンを使用し、発作が治まってからアロプリノールやフェブキソスタットなどの尿酸降下薬で血清尿酸値を6.0mg/dL以下に保ちます。ビールなどのアルコール、プリン体の多い食品、果糖を含む清涼飲料水は控えましょう。"""),
("border", """市民マラソンに過去最多の1万5千人

秋晴れの下、第10回市民マラソンが開催され、過去最多となる約1万5千人のランナーが参加した。フルマラソン男子はケニア出身の選手が2時間11分台で優勝し、女子は地元の実業団選手が大会記録を更新した。沿道には多くの市民が集まり、太鼓やのぼり旗でランナーを応援した。大会本部によると、ゴール付近で数人が足のけいれんなどを訴え救護所で手当てを受けたが、大きな事故はなかった。"""),
("border", """心拍数を意識したランニングのすすめ

スマートウォッチで心拍数を見ながら走る人が増えています。最大心拍数は「220－年齢」でおおまかに推定できます。ゆっくり会話できるペースのジョギングは最大心拍数の60～70％程度で、持久力の土台づくりに最適です。睡眠不足や暑さ、カフェインでも心拍数は上がるので、日々の数字に一喜一憂しないことが大切です。週に3～4回、少しずつ距離を伸ばしていけば、数か月後には同じペースでも心拍数が下がっているのを実感できるはずです。"""),
("border", """ヘルシー！鶏むね肉と野菜の蒸し料理

鶏むね肉は高たんぱく・低脂肪で、ヘルシーな食材として人気です。むね肉に塩と酒を振って10分おき、キャベツ、にんじん、しめじと一緒にフライパンに並べます。酒大さじ2を回しかけてふたをし、中火で10分蒸し焼きにします。ポン酢に刻みねぎとごま油を少し加えたたれでどうぞ。油をほとんど使わないので、夜遅い夕食にもおすすめです。"""),
("border", """人気俳優、体調不良で舞台を降板

人気俳優の所属事務所は、体調不良のため出演予定だった舞台を降板すると発表した。医師から当面の休養を勧められたという。事務所は「ファンの皆さまにはご心配をおかけし申し訳ありません。回復に専念させていただきます」とコメントした。代役は後日発表される。チケットの払い戻しについては公式サイトで案内するとしている。"""),
("border", """新バス路線、来月運行開始

市は、北部の住宅地と中心市街地を結ぶ新しいバス路線の運行を来月1日から開始すると発表した。路線は駅前、市役所、市民病院、大学前などを経由し、平日は15分間隔で運行する。高齢者の通院や買い物の足として期待されている。運賃は一律200円。"""),
("border", """在宅ワークの肩こり対策。1時間に一度は立ち上がり、肩を大きく回しましょう。モニターは目線の高さに。いすに深く座り、足裏を床につけるのが基本です。"""),
("border", """快眠のための7つの習慣

毎日同じ時間に起きる、朝日を浴びる、寝る1時間前にはスマホを見ない、寝室を暗く涼しく保つ、夕方以降はカフェインを控える、寝る直前に満腹にならない、ぬるめのお風呂にゆっくりつかる。どれも今日からできることばかりです。それでも眠れない日が何週間も続く場合は、かかりつけ医に相談してみるのもよいでしょう。"""),
("gen", """新型スマートフォン レビュー

6.1インチの有機ELディスプレイは明るく、120Hz駆動でスクロールもなめらか。バッテリーは4500mAhで、動画視聴やSNSを中心に使っても1日半はもちました。メインカメラは5000万画素で、昼間の写真は非常に精細ですが、夜景はややノイズが目立ちます。重さは約170gと軽量で、片手でも操作しやすいサイズです。価格を考えると完成度は高く、初めてのスマホ買い替えにもおすすめできます。"""),
("gen", """Jリーグ第25節：ホームで逆転勝利

第25節のホームゲームで、チームは2－1の逆転勝利を収めた。前半20分にセットプレーから先制を許したものの、後半15分にサイドからのクロスをFWが頭で合わせて同点。終了間際には途中出場のMFがこぼれ球を押し込み、スタジアムは歓喜に包まれた。監督は試合後「最後まで諦めない姿勢が勝ち点3につながった」と選手をたたえた。これでチームは3連勝となり、順位を5位に上げた。"""),
("gen", """京都2泊3日モデルコース

1日目は清水寺から二年坂、三年坂を歩き、八坂神社を経て祇園へ。夕方は鴨川沿いを散策し、先斗町で京料理を楽しみましょう。2日目は朝早く伏見稲荷大社の千本鳥居へ。混雑を避けるなら8時前がおすすめです。午後は嵐山に移動し、竹林の小径や渡月橋を訪れます。3日目は金閣寺と龍安寺の石庭を見学し、錦市場で食べ歩きをしてから帰路へ。市バスの一日乗車券を使うと便利です。"""),
("gen", """基本の肉じゃが

牛肉200gは食べやすい大きさに切り、じゃがいも3個は大きめの一口大、玉ねぎ1個はくし切り、にんじん1本は乱切りにします。鍋にサラダ油を熱して牛肉を炒め、色が変わったら野菜を加えて全体に油を回します。だし300mlを注ぎ、砂糖大さじ2、みりん大さじ2を加えて落としぶたをし、中火で10分煮ます。しょうゆ大さじ3を加えてさらに10分煮て、じゃがいもに竹串がすっと通れば完成です。"""),
("gen", """日銀、金融政策の現状維持を決定

日本銀行は金融政策決定会合で、短期金利の誘導目標を据え置くことを全員一致で決めた。総裁は記者会見で、賃金と物価の好循環が続いているかを見極める必要があると述べた。発表後、外国為替市場では円相場がやや下落し、日経平均株価は前日比で小幅に上昇した。市場関係者の間では、次回以降の会合での追加利上げの時期に関心が集まっている。"""),
("gen", """【譲ります】学習机、引き取りに来られる方限定。無料です。"""),
("gen", """ベランダ菜園をはじめよう

ベランダでも野菜づくりは楽しめます。日当たりのよい場所を選び、1日4～6時間は日光が当たるのが理想です。初心者にはミニトマト、リーフレタス、ラディッシュ、ネギ、バジルがおすすめ。プランターは底に穴のあるものを使い、野菜用の培養土を入れます。水やりは土の表面が乾いたらたっぷりと。2週間に一度、液体肥料を与えると元気に育ちます。"""),
("gen", """ワイヤレスイヤホン5機種を比較

通勤やランニング、在宅ワークで1か月間、価格帯の異なる5機種を使い比べました。高価格帯のモデルはノイズキャンセリングが強力で、電車内でも音楽に集中できます。音質もバランスがよく、長時間でも聴き疲れしません。低価格帯のモデルは低音がしっかりしていて接続も安定していますが、風の強い屋外では通話品質が落ちました。連続再生時間は5～9時間。iPhoneユーザーは自動切り替え対応モデル、Androidユーザーはイコライザー調整ができるモデルが使いやすいでしょう。"""),
("gen", """市立小中学校の来年度行事予定

市教育委員会は来年度の学校行事予定を公表した。1学期の始業式は4月8日、夏休みは7月20日から8月31日まで。運動会は5月下旬に各校で実施し、修学旅行は小学校が10月、中学校が6月の予定。詳しくは各学校から配布されるお知らせをご確認ください。"""),
("gen", """私たちについて

当店は1975年、商店街の一角で小さな金物屋として創業しました。釘やペンキ、園芸用品を売る店から始まり、今では市内に3店舗を構えるホームセンターに成長しましたが、「道具のことなら何でも相談できる店」という想いは変わりません。ネジ1本からキッチンのリフォームまで、経験豊富なスタッフが最適な商品をご提案します。お気軽にお立ち寄りください。"""),
("gen", """こども将棋大会、熱戦を終えて

先週末、市民会館で第12回こども将棋大会が開かれ、小学生を中心に約150人が参加した。高学年の部では5年生の男子が全勝で初優勝を飾った。決勝では終盤の逆転の一手に、見守る保護者から大きな拍手が起こった。主催者は「将棋は集中力や考える力を育てる。これからも多くの子どもに楽しんでほしい」と話した。"""),
("gen", """明日の天気：晴れのち曇り、最高気温23度。夜は所により雨。"""),
("gen", """家計簿のつけ方入門

家計管理の第一歩は、毎月の手取り収入を把握することです。次に、家賃、光熱費、通信費、保険料などの固定費を書き出し、食費や交際費、日用品などの変動費を1か月記録してみましょう。コンビニでのちょっとした買い物が意外と大きな金額になっていることに気づくはずです。固定費は一度見直せば効果が続くので、スマホのプランや保険の見直しから始めるのがおすすめです。生活費の3～6か月分を目安に、まずは生活防衛資金を貯めましょう。"""),
("gen", """商品説明：トレッキング用バックパック 45L

山小屋泊や2～3日の縦走に適した45リットルのバックパックです。背面長を調整できる背負いシステムと、クッション性の高いヒップベルトで重い荷物も快適に運べます。ハイドレーション対応、レインカバー付き。雨蓋と正面ジッパーの2か所からメイン気室にアクセスできます。重量1.4kg、カラーはグリーン、グレー、オレンジの3色。"""),
("gen", """クラシックカーフェスティバル、4年ぶりに開催

市内の公園で4年ぶりにクラシックカーフェスティバルが開かれ、昭和30年代から50年代の国産車を中心に約200台が集まった。会場には懐かしい車を一目見ようと多くの家族連れが訪れ、オーナーとの会話や記念撮影を楽しんでいた。主催者は来年以降も毎年開催したいとしている。"""),
("gen", """書評『霧の港』

北陸の小さな漁村を舞台にしたミステリー小説。行方不明になった漁師の謎を追って故郷に戻った若い新聞記者が、自分の家族が40年間隠してきた秘密にたどり着く。霧に包まれた港や、人間関係の濃い集落の描写が見事で、登場人物も生き生きとしている。中盤はやや冗長だが、終盤の展開は一気に読ませる。雰囲気のある推理小説が好きな人に薦めたい一冊。"""),
("gen", """Python入門 7日目：リストとループ

今日はPythonでよく使うデータ型の一つ、リストを学びます。リストは角かっこで書き、fruits = ["りんご", "バナナ", "さくらんぼ"] のように複数の値をまとめて扱えます。要素はインデックスで取り出し、最初の要素は fruits[0] です。append() で追加、remove() で削除ができます。すべての要素に同じ処理をするには for 文を使います。練習問題：5つの数字を入力してリストに保存し、最大値を表示するプログラムを書いてみましょう。"""),
("gen", """旅館の口コミ：海の見える宿

7月に3泊しました。部屋は清潔で広く、窓から海が一望できます。夕食は地元でとれた魚介を中心にした会席料理で、特に刺身と煮付けが絶品でした。スタッフの方も親切で、周辺の観光地を詳しく教えてくれました。唯一気になったのは、大浴場が少し混み合っていたことくらいです。海水浴場までは歩いて2分。また来たいと思います。"""),
("gen", """今夜8時から公民館でクイズ大会を開催します。1チーム6人まで。景品あり！"""),
("gen", """自転車の歴史

世界初の二輪車は、1817年にドイツのドライスが発明した「ドライジーネ」とされています。ペダルはなく、地面を足で蹴って進む乗り物でした。1860年代になるとフランスで前輪にペダルを付けた「ベロシペード」が登場しましたが、鉄の車輪のために乗り心地が悪く、「ボーンシェーカー（骨ゆすり）」と呼ばれました。1870年代には前輪を大きくした「オーディナリー型」が流行しましたが、転倒しやすく危険でした。1880年代、前後の車輪が同じ大きさでチェーンで後輪を駆動する「セーフティ型」が生まれ、現在の自転車の基本形が完成します。1888年にダンロップが空気入りタイヤを実用化すると乗り心地は大きく改善し、欧米で自転車ブームが起こりました。

自転車は社会も変えました。労働者は安い費用で遠くまで移動できるようになり、女性の服装がより活動的なものへと変わるきっかけにもなりました。自動車や飛行機の先駆者の中には、ライト兄弟のように自転車店から出発した人も少なくありません。1903年には第1回ツール・ド・フランスが開催されています。

日本には明治時代に自転車が伝わり、当初は高価な舶来品でしたが、やがて国産化が進みました。戦後は通勤や通学、商店の配達に欠かせない乗り物となり、「ママチャリ」と呼ばれる前かご付きの自転車は日本独特の生活文化として定着しています。世界の自転車部品市場で大きなシェアを持つ日本企業も生まれました。

20世紀後半、多くの国で自動車が主な移動手段となりましたが、オランダやデンマークでは自転車が今も日常の足です。変速機、アルミやカーボンのフレーム、マウンテンバイクの登場で、楽しみ方も広がりました。近年は電動アシスト自転車やシェアサイクルの普及により、自転車が再び都市の交通手段として見直され、自転車専用レーンの整備も進んでいます。

スポーツとしての自転車も人気です。しまなみ海道のように景色を楽しみながら走れるサイクリングルートには国内外から多くの愛好家が訪れ、地域の観光振興にも一役買っています。競輪は日本で生まれた自転車競技で、2000年のシドニー大会からケイリンとして五輪種目にもなりました。"""),
("gen", """賃貸物件：2LDK、駅徒歩7分

南向きで日当たり良好な3階の角部屋です。キッチンは昨年リフォーム済みで、食洗機付き。浴室乾燥機、温水洗浄便座、フローリング、バルコニーあり。近くにスーパーとドラッグストアがあり、生活に便利な環境です。家賃9万8千円、管理費5千円、敷金1か月、礼金なし。ペット不可。6月1日から入居可能です。内見のご予約はお電話でどうぞ。"""),
]

NEAR_DUP["ja"] = (2, [("口渇、多飲、多尿", "のどの渇き、多飲、多尿"), ("欠かせません", "重要です")])
EXACT_DUP["ja"] = 0

# ---------------------------------------------------------------- fr
DOCS["fr"] = [
("med", """L'hypertension artérielle : ce qu'il faut savoir

L'hypertension artérielle est définie par une pression artérielle supérieure ou égale à 140/90 mmHg mesurée à plusieurs reprises au cabinet médical, ou à 135/85 mmHg en automesure à domicile. Elle touche environ un adulte sur trois en France et reste souvent silencieuse. Non traitée, elle augmente le risque d'accident vasculaire cérébral, d'infarctus du myocarde, d'insuffisance cardiaque et d'insuffisance rénale chronique.

Le traitement repose d'abord sur les mesures hygiéno-diététiques : réduire la consommation de sel, limiter l'alcool, perdre du poids, pratiquer une activité physique régulière et arrêter le tabac. Si cela ne suffit pas, le médecin prescrit un antihypertenseur : inhibiteur de l'enzyme de conversion, antagoniste des récepteurs de l'angiotensine II, inhibiteur calcique ou diurétique thiazidique. Le traitement doit être pris tous les jours, même en l'absence de symptômes."""),
("med", """Notice : information de l'utilisateur – Ibuprofène 400 mg, comprimé pelliculé

Qu'est-ce que l'ibuprofène et dans quel cas est-il utilisé ? L'ibuprofène est un anti-inflammatoire non stéroïdien (AINS). Il est indiqué chez l'adulte dans le traitement symptomatique des douleurs d'intensité légère à modérée (maux de tête, douleurs dentaires, règles douloureuses) et de la fièvre.

Ne prenez jamais ce médicament si vous êtes enceinte à partir du début du sixième mois de grossesse, si vous avez un ulcère de l'estomac ou du duodénum en évolution, une insuffisance hépatique, rénale ou cardiaque sévère, ou des antécédents d'asthme déclenché par l'aspirine ou un autre AINS.

Effets indésirables possibles : troubles digestifs (nausées, douleurs abdominales), réactions allergiques cutanées, et plus rarement hémorragie digestive, insuffisance rénale aiguë ou crise d'asthme. En cas de selles noires, de vomissements de sang ou de gonflement du visage, arrêtez le traitement et consultez immédiatement un médecin. Ne pas associer à un autre AINS ni à l'aspirine à dose antalgique."""),
("med", """Le diabète de type 2

Le diabète de type 2 est une maladie chronique caractérisée par une hyperglycémie due à une résistance à l'insuline et à une diminution progressive de sa sécrétion par le pancréas. Il est favorisé par le surpoids, la sédentarité et les antécédents familiaux. Le diagnostic est posé devant une glycémie à jeun supérieure ou égale à 1,26 g/L à deux reprises. Le traitement associe une alimentation équilibrée, une activité physique régulière et, en première intention, la metformine ; d'autres médicaments comme les inhibiteurs de SGLT2, les agonistes du récepteur du GLP-1 ou l'insuline peuvent être ajoutés. L'hémoglobine glyquée (HbA1c) est contrôlée tous les trois mois. Le diabète mal équilibré expose à des complications : rétinopathie, néphropathie, neuropathie, maladies cardiovasculaires et plaies du pied."""),
("med", """Service de cardiologie

Le service de cardiologie du centre hospitalier prend en charge l'ensemble des maladies du cœur et des vaisseaux : maladie coronarienne, infarctus du myocarde, insuffisance cardiaque, troubles du rythme comme la fibrillation atriale, valvulopathies et cardiomyopathies. Il comprend une unité de soins intensifs cardiologiques (USIC) de 12 lits, un secteur d'hospitalisation conventionnelle et un plateau d'explorations.

Explorations non invasives. Nous réalisons des électrocardiogrammes, des Holter ECG de 24 heures, des mesures ambulatoires de la pression artérielle (MAPA), des échocardiographies transthoraciques et transœsophagiennes, des épreuves d'effort et des IRM cardiaques. Le coroscanner permet d'étudier les artères coronaires sans cathétérisme.

Cardiologie interventionnelle. La salle de coronarographie fonctionne 24 heures sur 24 pour les syndromes coronariens aigus. L'angioplastie coronaire avec pose de stent actif est réalisée en urgence en cas d'infarctus avec sus-décalage du segment ST, conformément aux recommandations de la Société européenne de cardiologie.

Rythmologie. L'équipe de rythmologie pratique l'ablation par radiofréquence ou cryoablation de la fibrillation atriale, du flutter et des tachycardies jonctionnelles, ainsi que l'implantation de stimulateurs cardiaques, de défibrillateurs automatiques implantables et de dispositifs de resynchronisation.

Insuffisance cardiaque. Une consultation dédiée, assurée par des cardiologues et des infirmières en pratique avancée, permet d'optimiser le traitement (bêtabloquants, sacubitril-valsartan, antagonistes des minéralocorticoïdes, inhibiteurs de SGLT2), d'éduquer le patient à la surveillance du poids et au régime pauvre en sel, et de prévenir les réhospitalisations.

Réadaptation cardiaque. Après un infarctus, une chirurgie cardiaque ou une décompensation d'insuffisance cardiaque, un programme de réadaptation de trois à quatre semaines associe réentraînement à l'effort, éducation thérapeutique, sevrage tabagique et soutien psychologique.

Prévention. La consultation de prévention cardiovasculaire accueille les patients présentant une hypercholestérolémie, une hypertension, un diabète ou des antécédents familiaux. Le bilan lipidique, le calcul du risque cardiovasculaire et la prescription de statines ou d'ézétimibe y sont assurés.

Urgences. En cas de douleur thoracique, d'essoufflement brutal ou de malaise, appelez immédiatement le 15 (SAMU) : ne vous rendez pas à l'hôpital par vos propres moyens."""),
("med", """La bronchiolite du nourrisson

La bronchiolite est une infection virale des petites bronches, due le plus souvent au virus respiratoire syncytial (VRS). Elle touche chaque hiver près d'un nourrisson sur trois de moins de deux ans. Elle débute par un rhume puis une toux, une respiration rapide et sifflante et parfois une gêne pour s'alimenter. Le traitement repose sur les lavages de nez au sérum physiologique, le fractionnement des repas et la surveillance ; les antibiotiques et le sirop contre la toux sont inutiles. Consultez en urgence si votre bébé a moins de deux mois, respire très vite, se creuse sous les côtes, boit moins de la moitié de ses biberons ou a les lèvres bleues."""),
("med", """AVC : chaque minute compte

L'accident vasculaire cérébral survient lorsqu'une artère du cerveau est bouchée par un caillot (infarctus cérébral) ou se rompt (hémorragie cérébrale). Les signes d'alerte sont brutaux : visage paralysé, bras ou jambe qui ne répond plus, trouble de la parole, perte de la vision d'un œil, violent mal de tête. Il faut appeler le 15 sans attendre. Dans les unités neurovasculaires, la thrombolyse intraveineuse peut être réalisée jusqu'à 4 h 30 après le début des symptômes, et la thrombectomie mécanique permet de retirer le caillot des grosses artères. L'hypertension, la fibrillation atriale, le diabète et le tabac sont les principaux facteurs de risque."""),
("med", """Grippe : l'épidémie s'étend à toutes les régions

Selon le dernier bulletin de Santé publique France, l'épidémie de grippe saisonnière touche désormais l'ensemble des régions métropolitaines. Les passages aux urgences pour syndrome grippal ont augmenté de 30 % en une semaine, en particulier chez les personnes âgées, qui représentent la majorité des hospitalisations. La grippe se manifeste par une fièvre élevée d'apparition brutale, des courbatures, des maux de tête et une toux sèche. Les autorités sanitaires rappellent que la vaccination reste recommandée pour les plus de 65 ans, les femmes enceintes et les personnes atteintes de maladies chroniques, et insistent sur les gestes barrières : lavage des mains, port du masque en cas de symptômes et aération des pièces."""),
("med", """L'anémie par carence en fer est la plus fréquente des anémies. Elle est liée à des saignements chroniques (règles abondantes, saignements digestifs), à un apport alimentaire insuffisant ou à une malabsorption comme dans la maladie cœliaque. Elle se traduit par une fatigue, une pâleur, un essoufflement à l'effort, des palpitations et des ongles cassants. L'hémogramme montre une anémie microcytaire et la ferritine est basse. Le traitement repose sur le fer par voie orale pendant au moins trois mois, ou par voie intraveineuse en cas d'intolérance. Chez l'homme et la femme ménopausée, une fibroscopie et une coloscopie sont recommandées pour rechercher un saignement digestif."""),
("med", """L'appendicite aiguë se manifeste par une douleur qui débute autour du nombril puis se localise dans la fosse iliaque droite, accompagnée de nausées, de vomissements et d'une fièvre modérée. Le diagnostic repose sur l'examen clinique, la prise de sang (hyperleucocytose, CRP élevée) et l'échographie ou le scanner. Le traitement est l'appendicectomie, le plus souvent par cœlioscopie. Sans traitement, le risque est la péritonite."""),
("med", """Infection urinaire chez la femme : la cystite

La cystite aiguë simple se traduit par des brûlures mictionnelles, des envies fréquentes et pressantes d'uriner et parfois du sang dans les urines. Elle est due le plus souvent à la bactérie Escherichia coli. La bandelette urinaire, positive aux leucocytes et aux nitrites, oriente le diagnostic. Le traitement de première intention est la fosfomycine-trométamol en dose unique. En cas de fièvre, de douleurs lombaires ou de frissons, il peut s'agir d'une pyélonéphrite, qui impose un examen cytobactériologique des urines (ECBU) et une consultation rapide."""),
("med", """La dépression n'est pas un simple coup de blues. L'épisode dépressif caractérisé associe pendant au moins deux semaines une tristesse ou une perte d'intérêt, des troubles du sommeil, une fatigue, une perte d'appétit, des difficultés de concentration, un sentiment de culpabilité et parfois des idées suicidaires. La prise en charge associe psychothérapie et, selon la sévérité, antidépresseurs comme les inhibiteurs sélectifs de la recapture de la sérotonine (sertraline, escitalopram), dont l'efficacité apparaît après deux à quatre semaines. En cas d'idées suicidaires, appelez le 3114."""),
("med", """Préparer sa coloscopie

La coloscopie permet d'explorer le côlon et le rectum à l'aide d'un endoscope souple. Elle est indiquée en cas de saignement rectal, d'anémie, de troubles du transit, d'antécédents familiaux de cancer colorectal ou après un test de dépistage positif. Les polypes peuvent être retirés pendant l'examen. Un régime sans résidus est à suivre trois jours avant, puis une préparation colique est à boire la veille et le matin. Signalez au gastro-entérologue tout traitement anticoagulant ou antiagrégant plaquettaire. L'examen se déroule sous anesthésie générale ; vous ne pourrez pas conduire le jour même."""),
("med", """Rougeole : nouveaux cas dans un collège

L'Agence régionale de santé a confirmé six cas de rougeole parmi des élèves non vaccinés d'un collège. La rougeole est une maladie virale très contagieuse qui débute par une fièvre, une toux, un écoulement nasal et une conjonctivite, suivis d'une éruption cutanée qui descend du visage vers le reste du corps. Elle peut se compliquer de pneumonie, d'otite ou d'encéphalite. Deux doses du vaccin ROR (rougeole-oreillons-rubéole) sont obligatoires chez les enfants. L'ARS invite les familles à vérifier les carnets de santé et propose une vaccination de rattrapage."""),
("med", """La goutte est une arthrite inflammatoire due au dépôt de cristaux d'urate de sodium dans les articulations, en lien avec une hyperuricémie. La crise typique touche le gros orteil, qui devient brutalement rouge, chaud, gonflé et très douloureux. Elle est traitée par la colchicine ou un anti-inflammatoire non stéroïdien. Le traitement de fond par allopurinol ou fébuxostat vise une uricémie inférieure à 360 µmol/L. Il faut limiter l'alcool, notamment la bière, les viandes rouges, les fruits de mer et les sodas."""),
("border", """Le marathon de la ville bat son record de participation

Plus de 15 000 coureurs ont pris le départ dimanche matin du marathon, un record pour l'épreuve. Le Kényan Daniel Kiprop s'est imposé en 2 h 08 min chez les hommes, tandis que la Française Claire Dubois a remporté la course féminine. En raison de la chaleur, plusieurs participants ont été pris en charge par les secouristes à l'arrivée pour des coups de chaleur, sans gravité. Des milliers de spectateurs s'étaient massés le long des quais pour encourager les coureurs dans une ambiance festive."""),
("border", """Courir avec un cardiofréquencemètre

De plus en plus de coureurs s'entraînent en surveillant leur fréquence cardiaque sur leur montre. La fréquence maximale peut être estimée grossièrement par la formule 220 moins l'âge. L'endurance fondamentale, à 60-70 % de cette valeur, doit représenter l'essentiel de l'entraînement : on doit pouvoir parler en courant. La chaleur, le manque de sommeil et le café font varier les chiffres, il ne faut donc pas s'inquiéter d'une séance isolée. La régularité reste la clé de la progression."""),
("border", """Velouté de potiron (léger et sain)

Épluchez un kilo de potiron et deux pommes de terre, coupez-les en cubes. Faites revenir un oignon émincé dans un filet d'huile d'olive, ajoutez les légumes et couvrez d'un litre de bouillon de légumes. Laissez cuire 25 minutes, puis mixez avec un peu de crème légère. Salez, poivrez et ajoutez une pointe de muscade. Une recette saine, réconfortante et bon marché pour les soirées d'automne."""),
("border", """Le chanteur annule sa tournée pour raisons de santé

Le chanteur a annoncé sur les réseaux sociaux l'annulation des dernières dates de sa tournée estivale, sur avis de ses médecins. « Je dois me reposer quelques semaines, je suis désolé pour tous ceux qui avaient pris leurs billets », a-t-il écrit. Les spectateurs seront remboursés. Son dernier album s'est vendu à plus de 300 000 exemplaires."""),
("border", """Une nouvelle ligne de bus dès septembre

Le conseil municipal a voté la création d'une nouvelle ligne de bus reliant les quartiers nord au centre-ville. Elle desservira la gare, la médiathèque, l'université et le centre hospitalier, avec un passage toutes les quinze minutes en semaine. Les travaux d'aménagement des arrêts commenceront au printemps."""),
("border", """Télétravail : bien installer son bureau. Écran à hauteur des yeux, pieds à plat, coudes à 90 degrés, et une pause toutes les heures pour s'étirer le dos et la nuque."""),
("border", """Mieux dormir : nos conseils

Se coucher et se lever à heure fixe, éviter les écrans le soir, garder une chambre fraîche et sombre, limiter le café après 16 heures et s'exposer à la lumière du jour le matin : ces habitudes simples améliorent la qualité du sommeil. Si les nuits difficiles se prolongent, parlez-en à votre médecin traitant."""),
("gen", """Test : le smartphone Nova X5

Le Nova X5 s'impose comme l'un des meilleurs milieux de gamme de l'année. Son écran OLED de 6,5 pouces est lumineux et fluide grâce à un taux de rafraîchissement de 120 Hz. L'autonomie est excellente : il nous restait souvent 40 % de batterie en fin de journée. Le capteur principal de 50 mégapixels produit des photos détaillées de jour, un peu bruitées de nuit. On regrette l'absence de prise jack et un poids de 205 grammes. À 399 euros, c'est un excellent rapport qualité-prix."""),
("gen", """Ligue 1 : victoire arrachée dans les arrêts de jeu

Menés au score dès la 23e minute sur un coup de pied arrêté, les Lyonnais ont longtemps buté sur une défense bien organisée. L'égalisation est venue d'une frappe lointaine à l'heure de jeu, avant que le jeune remplaçant ne donne la victoire à son équipe d'un tir croisé dans le temps additionnel. Grâce à ce succès, le club remonte à la quatrième place du classement. « Nous n'avons jamais lâché », a souligné l'entraîneur."""),
("gen", """Trois jours à Lyon

Commencez par le Vieux-Lyon et ses traboules, ces passages secrets qui traversent les immeubles Renaissance, puis montez à pied jusqu'à la basilique de Fourvière pour une vue panoramique sur la ville. Le deuxième jour, flânez sur la presqu'île, de la place Bellecour aux pentes de la Croix-Rousse, ancien quartier des canuts. Le soir, attablez-vous dans un bouchon pour goûter la quenelle et le saucisson brioché. Le dernier jour, visitez le musée des Confluences et promenez-vous au parc de la Tête d'Or."""),
("gen", """La recette du bœuf bourguignon

Coupez 1,2 kg de bœuf en gros cubes et faites-les mariner une nuit dans une bouteille de vin rouge avec carottes, oignon, ail et bouquet garni. Le lendemain, égouttez la viande et faites-la dorer dans une cocotte. Saupoudrez de farine, versez la marinade et laissez mijoter trois heures à feu doux. Ajoutez des lardons et des champignons revenus au beurre trente minutes avant la fin. Servez avec des pommes de terre vapeur ou des pâtes fraîches."""),
("gen", """La BCE maintient ses taux directeurs

La Banque centrale européenne a laissé ses taux directeurs inchangés jeudi, comme l'anticipaient les économistes. L'inflation en zone euro a reculé à 2,6 % sur un an, mais reste au-dessus de l'objectif de 2 %. La présidente de l'institution a indiqué que les décisions futures dépendraient des données économiques. Les marchés boursiers européens ont terminé la séance en légère hausse."""),
("gen", """À vendre : vélo de ville femme, bon état, 80 €. À retirer sur place."""),
("gen", """Jardinage : que faire au potager en avril ?

Avril est le mois des semis. En pleine terre, semez les radis, les carottes, les petits pois et la laitue dès que le sol est réchauffé. Sous abri, démarrez les tomates, les poivrons et les courgettes. Taillez les rosiers avant le départ de la végétation et paillez le pied des plantations pour garder l'humidité. Surveillez les limaces, friandes des jeunes pousses."""),
("gen", """Comparatif : cinq casques audio sans fil

Nous avons testé pendant un mois cinq casques sans fil entre 60 et 350 euros. Le modèle haut de gamme offre la meilleure réduction de bruit active et un son très équilibré, mais il est lourd. Notre choix petit budget surprend par ses basses généreuses et sa connexion Bluetooth stable, malgré une qualité d'appel moyenne dans la rue. L'autonomie varie de 20 à 40 heures selon les modèles."""),
("gen", """Rentrée scolaire : le calendrier de l'année

La rentrée des élèves aura lieu le lundi 2 septembre. Les vacances de la Toussaint débuteront le 19 octobre, celles de Noël le 21 décembre. Les dates des vacances d'hiver et de printemps varient selon les zones. Le calendrier complet est disponible sur le site du ministère de l'Éducation nationale."""),
("gen", """Notre histoire

Fondée en 1962 par les frères Martin, la quincaillerie a débuté dans une petite boutique de la rue principale. Soixante ans plus tard, nous comptons trois magasins dans le département, mais notre philosophie n'a pas changé : des conseils sincères donnés par des passionnés. Que vous cherchiez une simple vis ou que vous rénoviez votre cuisine, notre équipe vous aidera à trouver les bons outils."""),
("gen", """Échecs : les jeunes du club brillent au championnat régional

Ce week-end, nos jeunes joueurs ont réalisé de belles performances au championnat régional de parties rapides. Léa, 12 ans, remporte la catégorie des moins de 14 ans avec six points sur sept. L'équipe des moins de 10 ans conserve son titre pour la deuxième année consécutive. Merci aux parents et aux entraîneurs. Les entraînements reprennent jeudi à 17 heures à la salle des fêtes."""),
("gen", """Météo du week-end : soleil samedi, averses dimanche, 18 °C l'après-midi."""),
("gen", """Bien gérer son budget

Commencez par noter vos revenus mensuels nets. Listez ensuite vos dépenses fixes : loyer, énergie, assurances, crédits. Notez pendant un mois vos dépenses variables, alimentation, transport, loisirs : beaucoup de gens sont surpris par le total des petits achats. La règle des 50/30/20 consiste à consacrer 50 % aux besoins, 30 % aux envies et 20 % à l'épargne. Constituez une épargne de précaution de trois à six mois de dépenses avant d'investir."""),
("gen", """Fiche produit : sac à dos de randonnée 45 L

Conçu pour les randonnées de plusieurs jours, ce sac à dos dispose d'un dos réglable, d'une ceinture rembourrée avec poches zippées, d'une poche pour poche à eau de 3 litres et d'une housse de pluie intégrée. Accès au compartiment principal par le haut et par l'avant. Poids : 1,4 kg. Tissu ripstop déperlant. Coloris : vert, gris, orange."""),
("gen", """Le salon des voitures anciennes fait son retour

Après trois ans d'absence, le salon des voitures de collection revient au parc des expositions le 18 mai. Plus de 300 véhicules sont attendus, des roadsters des années 1930 aux sportives des années 1970. Les visiteurs pourront voter pour leur voiture préférée et assister à une démonstration de restauration. Entrée : 10 euros, gratuite pour les moins de 12 ans."""),
("gen", """Critique : « Le Port des brumes »

Ce roman policier au rythme lent se déroule dans un village de pêcheurs breton. Une jeune journaliste revient au pays pour enquêter sur la disparition d'un marin et découvre un secret que sa propre famille cache depuis quarante ans. Les descriptions du brouillard, de la mer et des commérages du village sont superbes. Le milieu du livre s'essouffle un peu, mais les cent dernières pages se dévorent."""),
("gen", """Apprendre Python en 30 jours : jour 7, les listes et les boucles

Une liste s'écrit entre crochets : fruits = ["pomme", "banane", "cerise"]. On accède à un élément par son indice, qui commence à zéro : fruits[0] vaut "pomme". La méthode append() ajoute un élément, remove() le supprime. Pour répéter une action sur chaque élément, on utilise une boucle for. Exercice : écrivez un programme qui demande cinq nombres, les range dans une liste et affiche le plus grand."""),
("gen", """Avis sur l'hôtel Les Mouettes

Nous avons passé quatre nuits aux Mouettes en juillet. La chambre était propre et spacieuse, avec un balcon face à la mer. Le petit-déjeuner était simple mais frais, avec des viennoiseries locales. Le personnel nous a donné d'excellentes adresses de restaurants. Seul bémol : le bruit du bar le vendredi soir. La plage est à deux minutes à pied."""),
("gen", """Ce soir, soirée quiz au café des sports à 20 h, équipes de six maximum. Lots à gagner !"""),
("gen", """Petite histoire de la bicyclette

La première machine à deux roues, la draisienne inventée par le baron allemand Karl Drais en 1817, n'avait pas de pédales : on avançait en poussant avec les pieds. Dans les années 1860, le Français Pierre Michaux et son fils ajoutent des pédales à la roue avant, créant le vélocipède, surnommé « secoue-os » à cause de ses roues cerclées de fer. Le grand-bi des années 1870, avec son immense roue avant, est plus rapide mais dangereux. La bicyclette dite « de sécurité », avec deux roues de même taille et une transmission par chaîne sur la roue arrière, apparaît dans les années 1880 et fixe l'architecture que nous connaissons encore. Le pneumatique de John Boyd Dunlop, en 1888, rend enfin la pratique confortable.

La bicyclette transforme la société. Elle offre aux ouvriers un moyen de transport bon marché et participe à l'émancipation des femmes, qui adoptent des tenues plus pratiques pour pédaler. De nombreux pionniers de l'automobile et de l'aviation, comme les frères Wright, ont commencé comme mécaniciens de cycles. En France, le premier Tour de France est organisé en 1903 par le journal L'Auto ; il deviendra l'un des événements sportifs les plus suivis au monde.

Au vingtième siècle, le vélo reste longtemps le moyen de transport des classes populaires. Les congés payés de 1936 voient des milliers de couples partir en tandem sur les routes. Après la guerre, l'automobile et le cyclomoteur prennent le relais, et le vélo devient surtout un loisir et un sport. Les grands champions, de Jacques Anquetil à Bernard Hinault, font rêver des générations de passionnés.

Depuis les années 2000, la bicyclette fait son retour en ville. Les systèmes de vélos en libre-service, lancés à grande échelle à Lyon puis à Paris, ont montré qu'une grande partie des trajets urbains pouvait se faire à vélo. Le vélo à assistance électrique permet de parcourir de plus longues distances sans effort excessif, et de nombreuses villes aménagent des pistes cyclables séparées de la circulation.

Les matériaux ont eux aussi évolué : après l'acier, l'aluminium et la fibre de carbone ont allégé les cadres, tandis que les freins à disque et les dérailleurs électroniques équipent désormais de nombreux vélos de route. Le vélo cargo, capable de transporter enfants et courses, remplace parfois la deuxième voiture du foyer. Quant aux collectionneurs, ils écument les brocantes à la recherche de cadres anciens de constructeurs renommés, restaurés avec soin."""),
("gen", """À louer : appartement T3 lumineux au troisième étage, proche de la gare et des commerces. Cuisine équipée rénovée, salle d'eau avec douche à l'italienne, parquet, petit balcon donnant sur le parc. Chauffage collectif inclus. Disponible au 1er juin. Loyer 850 € charges comprises, dépôt de garantie d'un mois. Non-fumeur. Contactez le propriétaire pour une visite."""),
]

NEAR_DUP["fr"] = (2, [("une alimentation équilibrée", "une alimentation variée"), ("tous les trois mois", "chaque trimestre")])
EXACT_DUP["fr"] = 0

# ---------------------------------------------------------------- ru
DOCS["ru"] = [
("med", """Артериальная гипертензия: что нужно знать

Артериальная гипертензия — стойкое повышение артериального давления до 140/90 мм рт. ст. и выше. Это одно из самых распространённых хронических заболеваний: им страдает почти половина взрослого населения России. Часто болезнь протекает бессимптомно, иногда беспокоят головная боль, головокружение, шум в ушах, сердцебиение. Без лечения гипертония приводит к инсульту, инфаркту миокарда, сердечной недостаточности и хронической болезни почек.

Лечение включает изменение образа жизни: ограничение поваренной соли до 5 г в сутки, снижение массы тела, отказ от курения, умеренную физическую активность. Для снижения давления применяют ингибиторы АПФ, блокаторы рецепторов ангиотензина II, антагонисты кальция, тиазидные диуретики и бета-адреноблокаторы. Препараты нужно принимать ежедневно, даже если самочувствие хорошее, и регулярно измерять давление дома."""),
("med", """Инструкция по медицинскому применению: Амоксициллин, капсулы 500 мг

Фармакологическое действие: полусинтетический антибиотик группы пенициллинов широкого спектра действия. Оказывает бактерицидное действие, нарушая синтез клеточной стенки бактерий.

Показания: бактериальные инфекции дыхательных путей и ЛОР-органов (синусит, фарингит, тонзиллит, острый средний отит, бронхит, пневмония), инфекции мочеполовой системы, инфекции кожи и мягких тканей; в комбинации с другими препаратами — эрадикация Helicobacter pylori.

Противопоказания: повышенная чувствительность к пенициллинам и цефалоспоринам, инфекционный мононуклеоз, лимфолейкоз.

Побочные действия: тошнота, диарея, кожная сыпь, крапивница; редко — анафилактический шок, псевдомембранозный колит. При появлении отёка лица, затруднённого дыхания или выраженной диареи следует прекратить приём и немедленно обратиться к врачу."""),
("med", """Сахарный диабет 2 типа

Сахарный диабет 2 типа — хроническое заболевание, при котором ткани организма теряют чувствительность к инсулину, а поджелудочная железа постепенно перестаёт вырабатывать его в достаточном количестве. Основные факторы риска — ожирение, малоподвижный образ жизни и наследственность. Типичные симптомы: жажда, частое мочеиспускание, сухость во рту, слабость, кожный зуд, медленное заживление ран. Диагноз ставят при уровне глюкозы плазмы натощак 7,0 ммоль/л и выше или гликированном гемоглобине 6,5% и выше. Лечение начинают с диеты, физической активности и метформина; при необходимости добавляют ингибиторы SGLT2, агонисты рецепторов ГПП-1 или инсулин. Осложнения диабета — ретинопатия, нефропатия, нейропатия, синдром диабетической стопы, инфаркт и инсульт — можно предотвратить при хорошем контроле гликемии."""),
("med", """Отделение кардиологии

Кардиологическое отделение городской клинической больницы оказывает специализированную помощь пациентам с ишемической болезнью сердца, острым коронарным синдромом, хронической сердечной недостаточностью, нарушениями ритма и проводимости, пороками сердца, кардиомиопатиями и артериальной гипертензией. В составе отделения работает палата интенсивной терапии на 12 коек с круглосуточным мониторированием.

Диагностика. Выполняются электрокардиография, суточное мониторирование ЭКГ по Холтеру, суточное мониторирование артериального давления, трансторакальная и чреспищеводная эхокардиография, нагрузочные пробы, КТ-коронарография и МРТ сердца.

Рентгенэндоваскулярные методы. Круглосуточно работает ангиографическая операционная. Пациентам с острым инфарктом миокарда с подъёмом сегмента ST выполняется экстренная коронарография и чрескожное коронарное вмешательство со стентированием коронарных артерий. Ежегодно проводится более 1200 стентирований.

Аритмология. Проводится радиочастотная и криобаллонная абляция при фибрилляции и трепетании предсердий, пароксизмальных наджелудочковых тахикардиях, имплантация электрокардиостимуляторов при синдроме слабости синусового узла и атриовентрикулярной блокаде, а также имплантируемых кардиовертеров-дефибрилляторов и устройств для ресинхронизирующей терапии.

Сердечная недостаточность. В кабинете хронической сердечной недостаточности врачи подбирают терапию (бета-адреноблокаторы, ингибиторы АПФ или сакубитрил/валсартан, антагонисты минералокортикоидных рецепторов, ингибиторы SGLT2), обучают пациентов контролю веса, давления и отёков, ограничению соли и жидкости.

Кардиореабилитация. После инфаркта миокарда, аортокоронарного шунтирования или протезирования клапанов пациенты проходят программу реабилитации: дозированные физические нагрузки под контролем ЭКГ, занятия в школе для пациентов, консультации диетолога и психолога.

Профилактика. Врачи отделения консультируют пациентов с гиперхолестеринемией, сахарным диабетом и отягощённой наследственностью, оценивают сердечно-сосудистый риск и назначают статины и другие гиполипидемические препараты.

Госпитализация осуществляется по направлению поликлиники или бригадой скорой медицинской помощи. При давящей боли за грудиной, внезапной одышке или потере сознания немедленно вызывайте скорую помощь по номеру 103."""),
("med", """Бронхиальная астма у детей

Бронхиальная астма — хроническое воспалительное заболевание дыхательных путей, проявляющееся приступами кашля, свистящего дыхания, одышки и чувства заложенности в груди. Приступы провоцируют вирусные инфекции, домашняя пыль, клещи, пыльца растений, шерсть животных, табачный дым и физическая нагрузка. Для быстрого снятия приступа используют ингалятор с сальбутамолом. Для базисной терапии назначают ингаляционные глюкокортикостероиды, которые уменьшают воспаление и снижают частоту обострений. Маленьким детям ингаляции проводят через спейсер или небулайзер. Если ребёнку трудно говорить, губы посинели или ингалятор не помогает, вызывайте скорую помощь."""),
("med", """Инсульт: распознать за минуту

Инсульт — острое нарушение мозгового кровообращения, вызванное закупоркой сосуда тромбом (ишемический инсульт) или его разрывом (геморрагический инсульт). Признаки: перекос лица, слабость в руке или ноге на одной стороне тела, нарушение речи, внезапное ухудшение зрения, сильная головная боль. При появлении этих симптомов нужно немедленно вызвать скорую помощь. Тромболитическая терапия при ишемическом инсульте возможна в течение 4,5 часа от начала симптомов, а тромбэкстракция позволяет удалить тромб из крупной артерии. Основные факторы риска — артериальная гипертензия, фибрилляция предсердий, сахарный диабет, курение и высокий холестерин."""),
("med", """Роспотребнадзор сообщил о росте заболеваемости гриппом

По данным Роспотребнадзора, за последнюю неделю заболеваемость гриппом и ОРВИ выросла на 25%, эпидемический порог превышен в 18 регионах. В структуре циркулирующих вирусов преобладает грипп A(H1N1). Специалисты напоминают, что грипп начинается остро с высокой температуры, озноба, головной и мышечной боли, сухого кашля. Пожилые люди, беременные и пациенты с хроническими заболеваниями лёгких и сердца находятся в группе риска тяжёлого течения и развития пневмонии. Противовирусные препараты, такие как осельтамивир, наиболее эффективны в первые 48 часов болезни. Главной мерой профилактики остаётся ежегодная вакцинация."""),
("med", """Железодефицитная анемия — самый частый вид анемии. Она развивается при хронической кровопотере (обильные менструации, кровотечения из желудочно-кишечного тракта), недостаточном поступлении железа с пищей, беременности и нарушении всасывания. Больных беспокоят слабость, утомляемость, бледность кожи, одышка при нагрузке, ломкость ногтей и выпадение волос, извращение вкуса. В анализе крови снижены гемоглобин и средний объём эритроцита, уровень ферритина низкий. Лечение — препараты железа внутрь в течение нескольких месяцев, при непереносимости — внутривенно. Мужчинам и женщинам в менопаузе рекомендуют гастроскопию и колоноскопию для поиска источника кровотечения."""),
("med", """Острый аппендицит начинается с боли в эпигастрии или около пупка, которая через несколько часов перемещается в правую подвздошную область (симптом Кохера). Характерны тошнота, однократная рвота, умеренное повышение температуры, лейкоцитоз. При подозрении на аппендицит нельзя принимать обезболивающие и прикладывать грелку. Лечение хирургическое — аппендэктомия, чаще лапароскопическая. Промедление грозит перфорацией отростка и перитонитом."""),
("med", """Цистит у женщин

Острый цистит — воспаление мочевого пузыря, чаще всего вызванное кишечной палочкой. Проявляется частым болезненным мочеиспусканием, резями, ложными позывами, болью внизу живота, иногда примесью крови в моче. Для диагностики выполняют общий анализ мочи и бактериологический посев. При неосложнённом цистите назначают фосфомицин однократно или нитрофурантоин коротким курсом. Повышение температуры, боль в пояснице и озноб могут указывать на пиелонефрит — в этом случае необходимо срочно обратиться к врачу."""),
("med", """Депрессия — это не просто плохое настроение. Депрессивный эпизод диагностируют, если в течение двух недель и дольше сохраняются подавленное настроение, утрата интересов, снижение энергии, нарушения сна и аппетита, трудности с концентрацией внимания, чувство вины и мысли о смерти. Лечение включает психотерапию и антидепрессанты, например селективные ингибиторы обратного захвата серотонина — сертралин, эсциталопрам. Эффект от лекарств развивается через 2–4 недели, поэтому важно не прекращать приём самостоятельно. При суицидальных мыслях нужно немедленно обратиться за помощью."""),
("med", """Подготовка к колоноскопии

Колоноскопия — эндоскопическое исследование толстой кишки с помощью гибкого колоноскопа. Она показана при кровотечении из прямой кишки, анемии неясного генеза, хронической диарее или запорах, положительном тесте на скрытую кровь и для скрининга колоректального рака. Во время процедуры врач может взять биопсию и удалить полипы. За три дня до исследования соблюдают бесшлаковую диету, накануне принимают препарат для очищения кишечника. Пациентам, принимающим антикоагулянты и антиагреганты, необходимо заранее проконсультироваться с врачом. Исследование часто проводят под седацией."""),
("med", """В области выявлены новые случаи кори

Региональное управление Роспотребнадзора сообщило о семи случаях кори среди непривитых детей и взрослых. Корь — высококонтагиозная вирусная инфекция, передающаяся воздушно-капельным путём. Заболевание начинается с лихорадки, кашля, насморка и конъюнктивита, на слизистой щёк появляются пятна Бельского–Филатова–Коплика, затем возникает этапная пятнисто-папулёзная сыпь. Корь может осложняться пневмонией, отитом и энцефалитом. Специалисты призывают проверить прививочный статус: вакцинация против кори, краснухи и паротита проводится в 12 месяцев и в 6 лет."""),
("med", """Подагра — заболевание, при котором из-за повышенного уровня мочевой кислоты в крови в суставах откладываются кристаллы уратов. Острый приступ подагрического артрита обычно поражает плюснефаланговый сустав большого пальца стопы: он внезапно краснеет, отекает, становится горячим и резко болезненным. Для купирования приступа применяют НПВП, колхицин или глюкокортикоиды. Для длительного снижения уровня мочевой кислоты назначают аллопуринол или фебуксостат. Рекомендуется ограничить алкоголь, красное мясо, субпродукты и сладкие газированные напитки."""),
("border", """Городской марафон собрал рекордное число участников

В воскресенье на старт городского марафона вышли более 20 тысяч бегунов — это рекорд за всю историю забега. Победителем на дистанции 42,2 км среди мужчин стал кенийский легкоатлет с результатом 2:09:15, у женщин первой финишировала россиянка. Из-за жары медики на финише оказали помощь нескольким участникам, однако серьёзных происшествий не было. Вдоль набережной за забегом наблюдали тысячи зрителей, а после финиша для участников работал фестиваль с музыкой и угощениями."""),
("border", """Как тренироваться по пульсу

Всё больше любителей бега тренируются с пульсометром. Максимальную частоту сердечных сокращений можно грубо оценить по формуле «220 минус возраст». Большая часть тренировок должна проходить в лёгкой зоне — 60–70% от максимума, когда можно свободно разговаривать на бегу. Жара, недосып и кофе повышают пульс, поэтому не стоит переживать из-за одной неудачной тренировки. Главное — регулярность и постепенное увеличение объёма."""),
("border", """Полезный рецепт: гречка с овощами

Гречка — простой и полезный гарнир. Промойте стакан крупы и отварите в двух стаканах подсоленной воды 15 минут. Тем временем обжарьте на растительном масле лук, морковь и болгарский перец, добавьте шампиньоны. Смешайте гречку с овощами, посыпьте зеленью. Блюдо готовится за полчаса и отлично подходит для лёгкого ужина."""),
("border", """Известный актёр отменил спектакли по состоянию здоровья

Пресс-служба театра сообщила, что народный артист временно не сможет выходить на сцену по рекомендации врачей. Спектакли с его участием в этом месяце переносятся, купленные билеты действительны на новые даты или могут быть возвращены в кассу. Артист поблагодарил зрителей за поддержку и пообещал вернуться к осени."""),
("border", """В городе появится новый автобусный маршрут

С 1 сентября начнёт работу автобусный маршрут № 47, который свяжет микрорайон Северный с центром города. Автобусы будут останавливаться у вокзала, областной больницы, университета и торгового центра. Интервал движения в часы пик составит 10 минут. Стоимость проезда не изменится."""),
("border", """Удалёнка без боли в спине: монитор на уровне глаз, стопы на полу, перерыв каждый час на разминку."""),
("border", """Как лучше спать

Ложитесь и вставайте в одно и то же время, за час до сна откладывайте телефон, проветривайте спальню, не пейте кофе после обеда и не наедайтесь на ночь. Утром постарайтесь побыть на дневном свету. Если бессонница длится несколько недель, стоит обсудить её с терапевтом."""),
("gen", """Обзор смартфона Nova X5

Nova X5 — один из лучших смартфонов среднего класса этого года. OLED-экран диагональю 6,5 дюйма яркий и плавный благодаря частоте обновления 120 Гц. Автономность отличная: к концу дня оставалось около 40% заряда. Основная камера на 50 Мп делает детальные снимки днём, ночью появляются шумы. Из минусов — вес 205 граммов и отсутствие разъёма для наушников. За свою цену это очень удачная модель."""),
("gen", """Футбол: волевая победа в компенсированное время

Хозяева пропустили уже на 23-й минуте после углового, но не опустили руки. Во втором тайме полузащитник сравнял счёт ударом издали, а на последней минуте компенсированного времени вышедший на замену нападающий забил победный мяч после быстрой контратаки. Команда поднялась на четвёртое место в турнирной таблице. «Ребята показали характер», — отметил главный тренер."""),
("gen", """Три дня в Казани

Начните с Казанского кремля: мечеть Кул-Шариф, Благовещенский собор и падающая башня Сююмбике. Затем прогуляйтесь по пешеходной улице Баумана. На второй день посетите Старо-Татарскую слободу и попробуйте эчпочмак и чак-чак. Вечером прокатитесь на теплоходе по Волге. На третий день съездите на остров-град Свияжск с его древними храмами."""),
("gen", """Рецепт борща

Сварите бульон из говядины на косточке, около двух часов. Нашинкуйте капусту, нарежьте картофель соломкой и опустите в кипящий бульон. Отдельно обжарьте лук и морковь, добавьте тёртую свёклу, ложку томатной пасты и немного уксуса, тушите 10 минут. Переложите зажарку в кастрюлю, варите ещё 10 минут, добавьте чеснок, лавровый лист, соль и перец. Подавайте со сметаной и зеленью."""),
("gen", """Банк России сохранил ключевую ставку

Совет директоров Банка России принял решение сохранить ключевую ставку на прежнем уровне. Регулятор отметил замедление инфляции, однако указал, что инфляционные ожидания остаются повышенными. Рубль после объявления решения незначительно укрепился, а индекс Мосбиржи завершил торги небольшим ростом. Следующее заседание по ставке запланировано на конец квартала."""),
("gen", """Продам диван, б/у, в хорошем состоянии. Самовывоз."""),
("gen", """Что посадить на даче в апреле

В апреле, как только прогреется почва, можно сеять редис, морковь, горох, салат и укроп. На рассаду дома высевают томаты, перцы и кабачки. Обрежьте плодовые деревья и кусты смородины до начала сокодвижения. Перекопайте грядки и внесите компост. Не забудьте укрыть посевы от возвратных заморозков."""),
("gen", """Сравнение беспроводных наушников

Мы месяц тестировали пять моделей беспроводных наушников стоимостью от 3 до 25 тысяч рублей. Флагманская модель лучше всех подавляет шум и звучит очень сбалансированно, но футляр великоват. Бюджетный вариант порадовал насыщенным басом и стабильным соединением, хотя на ветру собеседники слышали нас плохо. Время работы от одного заряда — от пяти до девяти часов."""),
("gen", """Школьные каникулы: утверждён график

Управление образования утвердило график каникул на новый учебный год. Осенние каникулы продлятся с 28 октября по 4 ноября, зимние — с 29 декабря по 8 января, весенние — с 24 марта по 31 марта. Учебный год завершится 26 мая."""),
("gen", """О компании

Наш магазин открылся в 1995 году как небольшая лавка хозтоваров на рынке. Сегодня у нас три магазина строительных материалов в городе, но мы по-прежнему считаем главным честный совет от людей, которые разбираются в инструментах. Нужен ли вам один шуруп или всё для ремонта кухни — наши консультанты помогут сделать правильный выбор."""),
("gen", """Юные шахматисты привезли награды

Воспитанники городского шахматного клуба успешно выступили на областном турнире по быстрым шахматам. Двенадцатилетняя Анна Петрова заняла первое место в группе до 14 лет, набрав шесть очков из семи. Команда младших школьников второй год подряд стала победителем командного зачёта. Занятия в клубе проходят по четвергам в 17:00."""),
("gen", """Погода на выходные: в субботу солнечно, до +18, в воскресенье кратковременные дожди."""),
("gen", """Как вести семейный бюджет

Запишите все доходы семьи за месяц после уплаты налогов. Затем составьте список обязательных расходов: аренда или ипотека, коммунальные платежи, связь, кредиты. В течение месяца фиксируйте переменные траты на продукты, транспорт и развлечения. Многие удивляются, сколько уходит на мелкие покупки. Старайтесь откладывать хотя бы 10–20% дохода и создайте финансовую подушку на три–шесть месяцев."""),
("gen", """Туристический рюкзак 45 л — описание товара

Рюкзак предназначен для многодневных походов. Регулируемая подвесная система, мягкий поясной ремень с карманами на молнии, отделение для питьевой системы объёмом 3 литра, встроенная накидка от дождя. Доступ в основное отделение сверху и спереди. Вес 1,4 кг. Материал — рипстоп с водоотталкивающей пропиткой. Цвета: зелёный, серый, оранжевый."""),
("gen", """Выставка ретроавтомобилей возвращается

После трёхлетнего перерыва в парке культуры снова пройдёт выставка ретроавтомобилей. Организаторы ожидают более 200 машин — от довоенных «эмок» до «Волг» и «Жигулей» 1970-х годов. Посетители смогут проголосовать за лучший автомобиль и посмотреть мастер-класс по реставрации. Вход свободный."""),
("gen", """Рецензия: роман «Туманная гавань»

Неспешный детектив, действие которого происходит в рыбацком посёлке на берегу Белого моря. Молодая журналистка возвращается домой, чтобы расследовать исчезновение рыбака, и узнаёт тайну, которую её семья хранила сорок лет. Описания тумана, моря и деревенских пересудов великолепны. Середина книги немного затянута, зато последние сто страниц читаются на одном дыхании."""),
("gen", """Python за 30 дней: день 7 — списки и циклы

Список в Python записывается в квадратных скобках: fruits = ["яблоко", "банан", "вишня"]. К элементу обращаются по индексу, который начинается с нуля: fruits[0] — это «яблоко». Метод append() добавляет элемент, remove() удаляет его. Чтобы выполнить действие для каждого элемента, используют цикл for. Задание: напишите программу, которая просит ввести пять чисел, сохраняет их в список и выводит наибольшее."""),
("gen", """Отзыв о гостинице «Чайка»

Провели в «Чайке» четыре ночи в июле. Номер чистый и просторный, с балконом и видом на море. Завтрак простой, но свежий: сырники, каша, хороший кофе. Персонал доброжелательный, подсказали отличные кафе. Единственный минус — шум из бара в пятницу вечером. До пляжа две минуты пешком. Обязательно вернёмся."""),
("gen", """Сегодня в 20:00 в библиотеке — интеллектуальная викторина. Команды до шести человек."""),
("gen", """Краткая история велосипеда

Первая двухколёсная машина — «беговая машина» немецкого барона Карла Драйса — появилась в 1817 году. Педалей у неё не было: ездок отталкивался ногами от земли. В 1860-х годах во Франции к переднему колесу приделали педали, и получился велосипед, прозванный «костотрясом» из-за железных ободьев. В 1870-х годах распространился «паук» с огромным передним колесом — быстрый, но опасный. В 1880-х годах появился «безопасный велосипед» с колёсами одинакового размера и цепной передачей на заднее колесо; его конструкция сохранилась до наших дней. Изобретение пневматической шины Джоном Данлопом в 1888 году сделало езду комфортной.

Велосипед изменил общество. Он дал рабочим дешёвый способ передвижения и сыграл роль в эмансипации женщин, которые ради езды перешли на более удобную одежду. Многие пионеры автомобилестроения и авиации, в том числе братья Райт, начинали как велосипедные механики. В 1903 году прошла первая многодневная гонка «Тур де Франс».

В России первые велосипеды появились в конце XIX века и поначалу были дорогой игрушкой для состоятельных людей. В советское время велосипеды выпускали массово: модели «Урал», «Кама», «Салют» и «Школьник» были в каждом дворе. На велосипеде ездили на работу и на дачу, почтальоны развозили письма, а дети учились кататься на складных «Камах».

Во второй половине XX века в большинстве стран велосипед уступил место автомобилю, но в Нидерландах и Дании он по-прежнему остаётся главным средством передвижения по городу. Переключатели передач, алюминиевые и карбоновые рамы, горные велосипеды расширили возможности для спорта и отдыха. Сегодня электровелосипеды и системы велопроката возвращают велосипед в центр городов, а муниципалитеты строят выделенные велодорожки, чтобы уменьшить пробки и загрязнение воздуха.

Велоспорт тоже прошёл долгий путь: от трековых гонок на деревянных велодромах до олимпийского маунтинбайка и BMX. Всё популярнее становятся любительские веломарафоны и поездки по гравийным дорогам, а коллекционеры охотятся за старыми рамами знаменитых мастеров и бережно восстанавливают их."""),
("gen", """Сдаётся двухкомнатная квартира на третьем этаже, рядом с метро и магазинами. Кухня после ремонта, посудомоечная машина, новая сантехника, ламинат, балкон с видом на парк. Коммунальные услуги оплачиваются отдельно. Свободна с 1 июня. Цена 45 000 рублей в месяц, залог — одна месячная плата. Без животных. Звоните собственнику."""),
]

NEAR_DUP["ru"] = (2, [("Типичные симптомы", "Характерные симптомы"), ("можно предотвратить", "удаётся предотвратить")])
EXACT_DUP["ru"] = 0

# ---------------------------------------------------------------- es
DOCS["es"] = [
("med", """Hipertensión arterial: lo que debe saber

La hipertensión arterial se define como una presión arterial igual o superior a 140/90 mmHg en varias mediciones. Afecta a más de un tercio de los adultos en España y con frecuencia no produce síntomas, por lo que muchas personas desconocen que la padecen. Si no se controla, aumenta el riesgo de ictus, infarto de miocardio, insuficiencia cardiaca y enfermedad renal crónica.

El tratamiento comienza con cambios en el estilo de vida: reducir la sal, moderar el consumo de alcohol, perder peso, hacer ejercicio y dejar de fumar. Si no es suficiente, el médico pautará fármacos antihipertensivos como los inhibidores de la enzima convertidora de angiotensina (IECA), los antagonistas de los receptores de angiotensina II, los calcioantagonistas o los diuréticos tiazídicos. Es importante tomar la medicación todos los días y controlar la tensión en casa."""),
("med", """Prospecto: información para el paciente – Omeprazol 20 mg cápsulas duras

Qué es omeprazol y para qué se utiliza: omeprazol pertenece al grupo de los inhibidores de la bomba de protones y reduce la cantidad de ácido que produce el estómago. Se utiliza para tratar la enfermedad por reflujo gastroesofágico, la úlcera gástrica y duodenal, la infección por Helicobacter pylori junto con antibióticos y para prevenir úlceras en pacientes que toman antiinflamatorios no esteroideos (AINE).

No tome omeprazol si es alérgico al principio activo o si toma nelfinavir. Informe a su médico si presenta pérdida de peso sin motivo, dificultad para tragar, vómitos con sangre o heces negras, ya que pueden ser signos de una enfermedad grave.

Posibles efectos adversos: dolor de cabeza, diarrea, estreñimiento, náuseas y flatulencia. El uso prolongado puede disminuir la absorción de vitamina B12 y de magnesio y aumentar el riesgo de fracturas. Tome la cápsula antes del desayuno, entera y con un vaso de agua."""),
("med", """Diabetes tipo 2

La diabetes mellitus tipo 2 es una enfermedad crónica en la que el organismo no utiliza correctamente la insulina (resistencia a la insulina) y el páncreas no consigue producir la cantidad suficiente. Se relaciona con la obesidad, el sedentarismo y los antecedentes familiares. Los síntomas típicos son sed intensa, orinar con frecuencia, cansancio y visión borrosa, aunque muchas personas no presentan síntomas durante años. Se diagnostica con una glucemia en ayunas igual o superior a 126 mg/dl o una hemoglobina glicosilada (HbA1c) del 6,5 % o más. El tratamiento incluye dieta, ejercicio y, como primer fármaco, la metformina; se pueden añadir inhibidores de SGLT2, agonistas del receptor de GLP-1 o insulina. Un mal control favorece la retinopatía, la nefropatía, la neuropatía y el pie diabético, por lo que conviene revisar periódicamente el fondo de ojo, la función renal y los pies."""),
("med", """Servicio de Cardiología

El Servicio de Cardiología del hospital atiende a pacientes con cardiopatía isquémica, infarto agudo de miocardio, insuficiencia cardiaca, arritmias como la fibrilación auricular, valvulopatías, miocardiopatías y cardiopatías congénitas del adulto. Dispone de una unidad coronaria de 10 camas con monitorización continua y de una planta de hospitalización.

Pruebas diagnósticas. Realizamos electrocardiograma, Holter de 24 horas, monitorización ambulatoria de la presión arterial (MAPA), ecocardiograma transtorácico y transesofágico, ergometría, resonancia magnética cardiaca y angio-TC de arterias coronarias.

Hemodinámica. La sala de hemodinámica funciona las 24 horas del día dentro del programa Código Infarto. A los pacientes con infarto con elevación del segmento ST se les realiza una angioplastia primaria con implante de stent farmacoactivo en el menor tiempo posible. También se realizan cateterismos programados, estudio de la reserva fraccional de flujo y cierre percutáneo de foramen oval permeable.

Arritmias. La unidad de arritmias realiza estudios electrofisiológicos y ablación con radiofrecuencia o crioablación de la fibrilación auricular, el flutter auricular y las taquicardias supraventriculares. Implantamos marcapasos en pacientes con bradicardia o bloqueo auriculoventricular, desfibriladores automáticos implantables y dispositivos de resincronización cardiaca.

Unidad de insuficiencia cardiaca. Cardiólogos y enfermeras especializadas ajustan el tratamiento con betabloqueantes, sacubitrilo-valsartán, antagonistas de los receptores de mineralocorticoides e inhibidores de SGLT2, y enseñan al paciente a controlar el peso, la tensión arterial y los edemas, y a reducir la sal en la dieta. Este seguimiento reduce los reingresos hospitalarios.

Rehabilitación cardiaca. Tras un infarto o una cirugía cardiaca, ofrecemos un programa de rehabilitación de ocho semanas con ejercicio supervisado, educación sanitaria, deshabituación tabáquica y apoyo psicológico.

Prevención cardiovascular. En la consulta de prevención se valora el riesgo cardiovascular de pacientes con colesterol elevado, hipercolesterolemia familiar, diabetes o hipertensión, y se pauta tratamiento con estatinas, ezetimiba o inhibidores de PCSK9 cuando está indicado.

Cómo acceder. Los pacientes son remitidos por su médico de atención primaria. Ante un dolor torácico opresivo, dificultad para respirar o pérdida de conocimiento, llame inmediatamente al 112."""),
("med", """Bronquiolitis en bebés

La bronquiolitis es una infección respiratoria que afecta a los bronquiolos de los niños menores de dos años, causada sobre todo por el virus respiratorio sincitial (VRS). Empieza como un catarro con mocos y tos y, en dos o tres días, aparecen dificultad para respirar, respiración rápida y pitidos en el pecho. El tratamiento consiste en lavados nasales con suero fisiológico, tomas pequeñas y frecuentes y mantener al bebé semiincorporado; los antibióticos y los jarabes para la tos no son útiles. Acuda a urgencias si el bebé tiene menos de tres meses, se le marcan las costillas al respirar, hace pausas respiratorias, rechaza el alimento o tiene los labios morados."""),
("med", """Ictus: reconocer los síntomas salva vidas

El ictus se produce cuando se interrumpe el flujo de sangre a una parte del cerebro por un coágulo (ictus isquémico) o por la rotura de un vaso (ictus hemorrágico). Los síntomas aparecen de forma brusca: boca torcida, pérdida de fuerza en un brazo o una pierna, dificultad para hablar, pérdida de visión o dolor de cabeza muy intenso. Ante cualquiera de ellos hay que llamar al 112 y activar el Código Ictus. La trombólisis intravenosa puede administrarse en las primeras 4,5 horas y la trombectomía mecánica permite extraer el trombo de arterias grandes. La hipertensión, la fibrilación auricular, la diabetes y el tabaquismo son los principales factores de riesgo."""),
("med", """Sanidad amplía la vacunación frente al virus del papiloma humano

El Ministerio de Sanidad ha aprobado extender la vacunación frente al virus del papiloma humano (VPH) a los chicos de 12 años, que hasta ahora solo se administraba de forma sistemática a las chicas. El VPH es la infección de transmisión sexual más frecuente y es responsable de prácticamente todos los casos de cáncer de cuello uterino, además de una parte de los cánceres de ano, orofaringe y pene. Según los expertos en salud pública, vacunar a ambos sexos reduce la circulación del virus en la población. La vacuna es segura y los efectos adversos más habituales son dolor en el lugar de la inyección, fiebre leve y dolor de cabeza."""),
("med", """La anemia ferropénica es la anemia más frecuente y se debe a la falta de hierro necesario para fabricar hemoglobina. Sus causas principales son las pérdidas de sangre (reglas abundantes, sangrado digestivo), una dieta pobre en hierro, el embarazo y la malabsorción, como en la enfermedad celíaca. Produce cansancio, palidez, falta de aire con el esfuerzo, palpitaciones, uñas frágiles y caída del cabello. En el análisis se observa hemoglobina baja, volumen corpuscular medio bajo y ferritina disminuida. Se trata con hierro oral durante varios meses o hierro intravenoso si no se tolera. En varones y mujeres posmenopáusicas se recomienda gastroscopia y colonoscopia para descartar un sangrado digestivo."""),
("med", """La apendicitis aguda comienza con dolor alrededor del ombligo que, en pocas horas, se desplaza a la fosa ilíaca derecha, acompañado de náuseas, vómitos, pérdida de apetito y fiebre. El diagnóstico se basa en la exploración, el análisis de sangre con leucocitosis y la ecografía o el TAC. El tratamiento es la apendicectomía, habitualmente por laparoscopia. Si se retrasa, el apéndice puede perforarse y causar una peritonitis."""),
("med", """Infección de orina en la mujer

La cistitis aguda es una infección de la vejiga causada habitualmente por Escherichia coli. Produce escozor al orinar, necesidad urgente y frecuente de orinar, dolor en la parte baja del abdomen y, a veces, sangre en la orina. La tira reactiva con nitritos y leucocitos positivos apoya el diagnóstico. La cistitis no complicada se trata con fosfomicina en dosis única o nitrofurantoína durante cinco días. Si aparece fiebre, dolor lumbar o escalofríos puede tratarse de una pielonefritis y hay que consultar con urgencia. En el embarazo siempre se realiza urocultivo."""),
("med", """La depresión es una enfermedad, no una debilidad. Se diagnostica cuando durante al menos dos semanas hay tristeza o pérdida de interés junto con alteraciones del sueño y del apetito, cansancio, dificultad para concentrarse, sentimientos de culpa e incluso ideas de muerte. El tratamiento combina psicoterapia y, según la gravedad, antidepresivos como los inhibidores selectivos de la recaptación de serotonina (sertralina, escitalopram), que tardan entre dos y cuatro semanas en hacer efecto. Si tiene pensamientos suicidas, llame al 024."""),
("med", """Preparación para la colonoscopia

La colonoscopia permite examinar el interior del colon y el recto con un tubo flexible con cámara. Se indica ante sangrado rectal, anemia, cambios del ritmo intestinal, test de sangre oculta en heces positivo o antecedentes familiares de cáncer colorrectal, y permite extirpar pólipos durante la prueba. Tres días antes debe seguir una dieta sin fibra y, el día anterior, tomar la solución evacuante. Si toma anticoagulantes, antiagregantes o insulina, consulte antes con su médico. La prueba suele realizarse con sedación y no podrá conducir ese día."""),
("med", """Brote de sarampión en un colegio de la provincia

Salud Pública ha confirmado cinco casos de sarampión entre alumnos no vacunados de un centro escolar. El sarampión es una enfermedad vírica muy contagiosa que se transmite por vía respiratoria. Comienza con fiebre, tos, mucosidad y conjuntivitis, seguidas de un exantema que se extiende desde la cara al resto del cuerpo. Puede complicarse con neumonía, otitis o encefalitis. La vacuna triple vírica, que protege frente a sarampión, rubéola y parotiditis, se administra a los 12 meses y a los 3 o 4 años. Las autoridades recomiendan revisar la cartilla de vacunación."""),
("med", """La gota es una artritis inflamatoria causada por el depósito de cristales de urato monosódico en las articulaciones cuando el ácido úrico en sangre está elevado. La crisis típica afecta al dedo gordo del pie, que se pone rojo, caliente, hinchado y muy doloroso, a menudo por la noche. Se trata con antiinflamatorios, colchicina o corticoides. Para prevenir nuevas crisis se usan alopurinol o febuxostat, con el objetivo de mantener el ácido úrico por debajo de 6 mg/dl. Conviene reducir el alcohol, la carne roja, el marisco y los refrescos azucarados."""),
("border", """El maratón de la ciudad bate su récord de participación

Más de 14.000 corredores tomaron la salida el domingo en el maratón de la ciudad, una cifra récord. El keniano Daniel Kiprop ganó la prueba masculina con un tiempo de 2:07:58 y la española Lucía Fernández se impuso en categoría femenina. Por el calor, los servicios sanitarios atendieron a varios corredores en la meta por deshidratación, aunque ninguno revistió gravedad. Miles de personas animaron a los participantes a lo largo del recorrido."""),
("border", """Entrenar con pulsómetro

Cada vez más corredores entrenan mirando la frecuencia cardiaca en su reloj. La frecuencia máxima puede estimarse de forma aproximada restando la edad a 220. La mayor parte del entrenamiento debería hacerse a un ritmo suave, entre el 60 y el 70 % de ese valor, en el que se puede hablar mientras se corre. El calor, la falta de sueño y la cafeína alteran las pulsaciones, así que no hay que obsesionarse con una sesión. La constancia es lo que de verdad hace progresar."""),
("border", """Crema de calabacín ligera y saludable

Trocea tres calabacines, una cebolla y una patata pequeña. Sofríe la cebolla en aceite de oliva, añade el resto de verduras y cubre con caldo de verduras. Cuece 20 minutos, tritura y añade un quesito si quieres más cremosidad. Salpimienta y sirve con un chorrito de aceite. Es una receta saludable, barata y perfecta para cenar."""),
("border", """La cantante aplaza su gira tras una operación

La cantante ha aplazado los conciertos de su gira europea después de someterse a una intervención en las cuerdas vocales. En un mensaje en redes sociales explicó que los médicos le han recomendado reposo durante seis semanas. Las entradas seguirán siendo válidas para las nuevas fechas, que se anunciarán el próximo mes."""),
("border", """Nueva línea de autobús hacia el norte de la ciudad

El Ayuntamiento ha aprobado una nueva línea de autobús que conectará los barrios del norte con el centro. Tendrá parada en la estación, el hospital comarcal, la universidad y el mercado central, con una frecuencia de 12 minutos en días laborables. Entrará en servicio en septiembre."""),
("border", """Teletrabajo sin dolor de espalda: pantalla a la altura de los ojos, pies apoyados en el suelo y una pausa cada hora para estirar."""),
("border", """Consejos para dormir mejor

Acuéstate y levántate siempre a la misma hora, evita el móvil una hora antes de dormir, mantén el dormitorio fresco y oscuro, no tomes café por la tarde y sal a la luz del día por la mañana. Si el insomnio dura varias semanas, coméntalo con tu médico de cabecera."""),
("gen", """Análisis: smartphone Nova X5

El Nova X5 es uno de los mejores móviles de gama media del año. Su pantalla OLED de 6,5 pulgadas es brillante y muy fluida gracias a la tasa de refresco de 120 Hz. La autonomía es excelente: solíamos terminar el día con un 40 % de batería. La cámara principal de 50 megapíxeles ofrece fotos detalladas de día, aunque de noche aparece algo de ruido. Pesa 205 gramos y no tiene conector de auriculares. Por 399 euros, es una compra muy recomendable."""),
("gen", """Remontada en el descuento

El equipo local se adelantó en el marcador en el minuto 23 tras un córner, pero el conjunto visitante no bajó los brazos. Un disparo lejano empató el partido a la hora de juego y, ya en el tiempo de descuento, el delantero que había salido desde el banquillo culminó un contragolpe para firmar el 1-2. Con esta victoria el equipo sube a la cuarta posición de la clasificación. «Nunca dejamos de creer», dijo el entrenador."""),
("gen", """Tres días en Sevilla

Empieza por la Catedral y sube a la Giralda para disfrutar de las vistas. Después pasea por el barrio de Santa Cruz y visita el Real Alcázar con sus jardines. El segundo día, recorre la Plaza de España y el parque de María Luisa, cruza el puente de Triana y tapea en la calle Betis. El tercer día, visita el Metropol Parasol y termina la tarde con un espectáculo de flamenco."""),
("gen", """Receta de tortilla de patatas

Pela y corta en láminas finas un kilo de patatas y una cebolla. Fríelas a fuego medio en abundante aceite de oliva durante unos 20 minutos, hasta que estén tiernas. Escúrrelas y mézclalas con seis huevos batidos y sal. Deja reposar cinco minutos. Cuaja la mezcla en una sartén con un poco de aceite, dale la vuelta con ayuda de un plato y termina de cocinarla por el otro lado. Debe quedar jugosa por dentro."""),
("gen", """El BCE mantiene los tipos de interés

El Banco Central Europeo ha mantenido sin cambios los tipos de interés, tal y como esperaban los analistas. La inflación de la zona euro se moderó hasta el 2,6 %, aunque sigue por encima del objetivo del 2 %. El Ibex 35 cerró la sesión con una ligera subida y el euro apenas varió frente al dólar. Los bancos prevén que el euríbor continúe bajando en los próximos meses."""),
("gen", """Se vende mesa de comedor de roble con seis sillas. Buen estado. 250 €."""),
("gen", """Qué plantar en el huerto en abril

En abril es buen momento para sembrar directamente zanahorias, rabanitos, guisantes y lechugas. En semillero protegido se pueden empezar los tomates, pimientos y calabacines. Poda los rosales antes de que broten, abona con compost y acolcha el suelo para mantener la humedad. Vigila los caracoles y las babosas, que adoran los brotes tiernos."""),
("gen", """Comparativa de auriculares inalámbricos

Durante un mes hemos probado cinco modelos de auriculares inalámbricos de entre 50 y 300 euros. El modelo más caro tiene la mejor cancelación de ruido y un sonido muy equilibrado, aunque su estuche es voluminoso. Nuestra opción económica sorprende por sus graves contundentes y su conexión estable, pero la calidad de las llamadas empeora con viento. La autonomía oscila entre cinco y nueve horas por carga."""),
("gen", """Calendario escolar del próximo curso

La Consejería de Educación ha publicado el calendario escolar. Las clases comenzarán el 9 de septiembre y terminarán el 20 de junio. Las vacaciones de Navidad irán del 23 de diciembre al 7 de enero y las de Semana Santa del 14 al 21 de abril. Los centros podrán fijar dos días no lectivos."""),
("gen", """Quiénes somos

Ferretería García nació en 1965 como un pequeño local en la calle Mayor. Casi sesenta años después tenemos tres tiendas en la comarca, pero seguimos creyendo en lo mismo: el consejo sincero de gente que conoce su oficio. Ya necesites un tornillo o reformar tu cocina, nuestro equipo te ayudará a encontrar las herramientas y materiales adecuados."""),
("gen", """Ajedrez: éxito de los jóvenes del club

Nuestros jugadores más jóvenes brillaron en el campeonato provincial de partidas rápidas. Marta, de 12 años, ganó la categoría sub-14 con seis puntos de siete, y el equipo sub-10 revalidó el título por segundo año consecutivo. Los entrenamientos continúan los jueves a las cinco de la tarde en el centro cívico."""),
("gen", """Tiempo para el fin de semana: sol el sábado, chubascos el domingo y máximas de 20 grados."""),
("gen", """Cómo hacer un presupuesto familiar

Apunta los ingresos netos del hogar cada mes. Después enumera los gastos fijos: alquiler o hipoteca, luz, agua, internet, seguros y préstamos. Durante un mes registra los gastos variables en comida, transporte y ocio; te sorprenderá cuánto suman los pequeños caprichos. Una regla útil es la del 50/30/20: 50 % para necesidades, 30 % para deseos y 20 % para ahorro. Antes de invertir, crea un fondo de emergencia de entre tres y seis meses de gastos."""),
("gen", """Ficha de producto: mochila de trekking 45 L

Mochila diseñada para travesías de varios días. Espaldera regulable, cinturón acolchado con bolsillos con cremallera, compartimento para bolsa de hidratación de 3 litros y funda para la lluvia integrada. Acceso al compartimento principal por arriba y por delante. Peso: 1,4 kg. Tejido ripstop con tratamiento repelente al agua. Colores: verde, gris y naranja."""),
("gen", """Vuelve la feria de coches clásicos

Tras tres años sin celebrarse, la feria de coches clásicos regresa al recinto ferial el 18 de mayo. Se esperan más de 300 vehículos, desde los Seat 600 hasta deportivos de los años setenta. El público podrá votar su coche favorito y asistir a una demostración de restauración. Entrada: 8 euros; gratis para menores de 12 años."""),
("gen", """Reseña: «El puerto de la niebla»

Novela negra de ritmo pausado ambientada en un pueblo pesquero de Galicia. Una joven periodista regresa a casa para investigar la desaparición de un marinero y descubre un secreto que su propia familia ha guardado durante cuarenta años. Las descripciones de la niebla, el mar y los chismorreos del pueblo son magníficas. La parte central se alarga un poco, pero las últimas cien páginas se leen de un tirón."""),
("gen", """Aprende Python en 30 días: día 7, listas y bucles

Una lista se escribe entre corchetes: frutas = ["manzana", "plátano", "cereza"]. Se accede a cada elemento por su índice, que empieza en cero: frutas[0] es "manzana". El método append() añade un elemento y remove() lo elimina. Para repetir una acción con cada elemento se usa un bucle for. Ejercicio: escribe un programa que pida cinco números, los guarde en una lista y muestre el mayor."""),
("gen", """Opinión sobre el Hotel Las Gaviotas

Pasamos cuatro noches en julio. La habitación estaba limpia y era amplia, con balcón frente al mar. El desayuno, sencillo pero fresco, con bollería casera y buen café. El personal fue muy amable y nos recomendó restaurantes estupendos. Lo único malo, el ruido del bar el viernes por la noche. La playa está a dos minutos andando."""),
("gen", """Esta noche, concurso de preguntas en el bar de la plaza a las 21:00. ¡Equipos de hasta seis!"""),
("gen", """Breve historia de la bicicleta

La primera máquina de dos ruedas, la «máquina andante» inventada por el barón alemán Karl Drais en 1817, no tenía pedales: el ciclista avanzaba empujando el suelo con los pies. En la década de 1860, en Francia se añadieron pedales a la rueda delantera y nació el velocípedo, apodado «sacudehuesos» por sus ruedas de hierro. El biciclo de rueda alta de los años setenta era más rápido, pero peligroso. La llamada «bicicleta de seguridad», con dos ruedas iguales y transmisión por cadena a la rueda trasera, apareció en la década de 1880 y fijó el diseño que seguimos usando. El neumático de John Boyd Dunlop, en 1888, hizo por fin cómodo pedalear.

La bicicleta transformó la sociedad. Ofreció a los obreros un medio de transporte barato y contribuyó a la emancipación de las mujeres, que adoptaron ropa más práctica para montar. Muchos pioneros del automóvil y la aviación, como los hermanos Wright, empezaron como mecánicos de bicicletas. En 1903 se celebró el primer Tour de Francia y, en 1935, la primera Vuelta a España.

En España, la bicicleta fue durante décadas el vehículo de los trabajadores del campo y de la ciudad. Carteros, panaderos y afiladores recorrían pueblos y barrios sobre dos ruedas. El ciclismo profesional dio grandes ídolos, desde Federico Martín Bahamontes, el «Águila de Toledo», hasta Miguel Induráin, ganador de cinco Tours consecutivos en los años noventa.

En la segunda mitad del siglo XX el automóvil desplazó a la bicicleta en casi todo el mundo, aunque en Países Bajos y Dinamarca siguió siendo el medio de transporte cotidiano. Los cambios de marchas, los cuadros de aluminio y de fibra de carbono y la bicicleta de montaña ampliaron las posibilidades deportivas. Hoy, las bicicletas eléctricas y los sistemas de bicicleta compartida están devolviendo la bici al centro de las ciudades, y muchos ayuntamientos construyen carriles bici segregados para reducir el tráfico y la contaminación.

También cambian los materiales y los accesorios: los frenos de disco se han generalizado en las bicicletas de carretera, los neumáticos sin cámara reducen los pinchazos y las bicicletas de carga sustituyen en algunas familias al segundo coche. Mientras tanto, los coleccionistas buscan en rastros y subastas cuadros antiguos de constructores famosos para restaurarlos con paciencia."""),
("gen", """Se alquila piso de dos dormitorios en tercera planta, cerca de la estación y de comercios. Cocina reformada con lavavajillas, baño con plato de ducha, suelo de madera y pequeño balcón con vistas al parque. Calefacción central incluida. Disponible a partir del 1 de junio. 850 euros al mes, fianza de un mes. No se admiten fumadores. Llame al propietario para concertar una visita."""),
]

NEAR_DUP["es"] = (2, [("sed intensa", "mucha sed"), ("conviene revisar", "es recomendable revisar")])
EXACT_DUP["es"] = 0


DOMAINS = {
    "en": {"med": ["https://www.healthguide-online.org/conditions", "https://www.stmarys-hospital.org/departments",
                   "https://www.medicalnewsnow-daily.com/news", "https://www.pharmacy-leaflets.info/medicines"],
           "border": ["https://www.citytribune-news.com/local", "https://www.runnersworld-blog.net/training",
                      "https://www.easyhomecooking.net/recipes"],
           "gen": ["https://www.techreviewhub.com/reviews", "https://www.citytribune-news.com/sport",
                   "https://www.wanderlust-travels.net/guides", "https://www.market-classifieds.com/ads",
                   "https://www.moneymatters-blog.com/personal-finance"]},
    "zh": {"med": ["https://www.jiankang-zixun.cn/jibing", "https://www.shirenmin-yiyuan.com.cn/keshi",
                   "https://news.yiyao-xinwen.com/yixue", "https://www.yaopin-shuomingshu.cn/yao"],
           "border": ["https://news.dushi-ribao.cn/shehui", "https://www.paobu-riji.com/xunlian",
                      "https://www.meishi-jiachang.com/caipu"],
           "gen": ["https://www.shuma-ceping.com/shouji", "https://sports.dushi-ribao.cn/zuqiu",
                   "https://www.lvxing-gonglue.com/youji", "https://www.ershou-shichang.cn/fabu",
                   "https://www.licai-zhinan.com/rumen"]},
    "ja": {"med": ["https://www.kenko-joho.jp/byoki", "https://www.shimin-byoin.jp/shinryoka",
                   "https://www.iryo-news.jp/article", "https://www.kusuri-guide.jp/drug"],
           "border": ["https://www.chiiki-shimbun.jp/local", "https://www.run-blog.jp/training",
                      "https://www.kantan-recipe.jp/recipe"],
           "gen": ["https://www.gadget-review.jp/smartphone", "https://www.chiiki-shimbun.jp/sports",
                   "https://www.tabi-guide.jp/kyoto", "https://www.jimoti-keijiban.jp/post",
                   "https://www.kakei-navi.jp/column"]},
    "fr": {"med": ["https://www.sante-pratique.fr/maladies", "https://www.ch-saint-louis.fr/services",
                   "https://www.actu-medicale.fr/actualites", "https://www.notices-medicaments.fr/notice"],
           "border": ["https://www.journal-regional.fr/faits-divers", "https://www.courir-plus.fr/entrainement",
                      "https://www.recettes-maison.fr/recette"],
           "gen": ["https://www.high-tech-tests.fr/smartphones", "https://www.journal-regional.fr/sport",
                   "https://www.voyages-et-escapades.fr/guides", "https://www.petites-annonces-locales.fr/annonce",
                   "https://www.mon-budget-malin.fr/conseils"]},
    "ru": {"med": ["https://www.zdorovie-info.ru/bolezni", "https://www.gkb-gorod.ru/otdeleniya",
                   "https://www.med-novosti.ru/news", "https://www.instrukciya-lekarstva.ru/preparat"],
           "border": ["https://www.gorod-novosti.ru/obshchestvo", "https://www.beg-blog.ru/trenirovki",
                      "https://www.domashnie-recepty.ru/recept"],
           "gen": ["https://www.tech-obzor.ru/smartfony", "https://www.gorod-novosti.ru/sport",
                   "https://www.puteshestviya-blog.ru/marshruty", "https://www.doska-obyavleniy.ru/item",
                   "https://www.finansy-prosto.ru/stati"]},
    "es": {"med": ["https://www.salud-al-dia.es/enfermedades", "https://www.hospital-comarcal.es/servicios",
                   "https://www.noticias-medicas.es/actualidad", "https://www.prospectos-medicamentos.es/prospecto"],
           "border": ["https://www.diario-local.es/sociedad", "https://www.correr-mejor.es/entrenamiento",
                      "https://www.recetas-caseras.es/receta"],
           "gen": ["https://www.analisis-tecnologia.es/moviles", "https://www.diario-local.es/deportes",
                   "https://www.guias-de-viaje.es/destinos", "https://www.anuncios-clasificados.es/anuncio",
                   "https://www.finanzas-personales.es/blog"]},
}


def _h(*parts):
    """Stable integer hash of the parts (does not depend on PYTHONHASHSEED or the Python version)."""
    return int(hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12], 16)


def _timestamp(lang, i):
    h = _h("ts", lang, i)
    year = 2016 + h % 7
    month = 1 + (h >> 4) % 12
    day = 1 + (h >> 8) % 28
    hour, minute, second = (h >> 13) % 24, (h >> 18) % 60, (h >> 24) % 60
    return f"{year:04d}/{month:02d}/{day:02d} {hour:02d}:{minute:02d}:{second:02d}"


def _url(lang, cat, i):
    domains = DOMAINS[lang][cat]
    base = domains[_h("dom", lang, i) % len(domains)]
    return f"{base}/{_h('url', lang, i) % 900000 + 100000}.html"


def build_rows(lang):
    """Return the rows of one language's shard (list of dicts), in a fixed interleaved order."""
    docs = list(DOCS[lang])
    assert all(cat in ("med", "border", "gen") for cat, _ in docs)
    entries = [(cat, text, i) for i, (cat, text) in enumerate(docs)]
    # exact duplicate: same text, new url
    k = EXACT_DUP[lang]
    assert docs[k][0] == "med"
    entries.append(("med", docs[k][1], len(entries)))
    # near duplicate: a couple of words replaced
    k, repl = NEAR_DUP[lang]
    assert docs[k][0] == "med"
    text = docs[k][1]
    for old, new in repl:
        assert text.count(old) == 1, (lang, old)
        text = text.replace(old, new)
    entries.append(("med", text, len(entries)))
    # interleave categories deterministically (web shards are not sorted by topic)
    entries.sort(key=lambda e: _h("order", lang, e[2]))
    rows = []
    for cat, text, i in entries:
        rows.append({"text": text, "timestamp": _timestamp(lang, i), "url": _url(lang, cat, i),
                     "source": "mC4" if _h("src", lang, i) % 2 == 0 else "OSCAR-2301"})
    urls = [r["url"] for r in rows]
    assert len(set(urls)) == len(urls), lang
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", default="samples/culturax", help="output folder (default: samples/culturax)")
    args = ap.parse_args(argv)
    schema = pa.schema([("text", pa.string()), ("timestamp", pa.string()), ("url", pa.string()),
                        ("source", pa.string())])
    for lang in LANGS:
        rows = build_rows(lang)
        table = pa.Table.from_pylist(rows, schema=schema)
        d = os.path.join(args.output, lang)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"{lang}_part_00000.parquet")
        pq.write_table(table, path, compression="zstd")
        nbytes = sum(len(r["text"].encode("utf-8")) for r in rows)
        print(f"{path}: {len(rows)} documents, {nbytes} bytes of text")


if __name__ == "__main__":
    main()
